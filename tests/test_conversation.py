"""Follow-up resolution: grammar rules only, checked on made-up names as well as the seeds' kind of question."""

from __future__ import annotations

import pytest

from qa.conversation import Conversation, names, resolve_followup, topic

LAUNCH = "When was DeepSeek launched?"


@pytest.mark.parametrize(
    "follow_up, searched",
    [
        ("And how many daily users does it have?", "How many daily users does DeepSeek have?"),
        ("and what is its licence?", "What is DeepSeek's licence?"),
        ("Who uses it?", "Who uses DeepSeek?"),
        ("How many daily users?", "How many daily users (DeepSeek)?"),
        ("What about Qwen?", "When was Qwen launched?"),
        ("And when?", "When (DeepSeek)?"),
    ],
)
def test_english_follow_ups(follow_up, searched):
    assert resolve_followup(follow_up, [LAUNCH]) == searched


@pytest.mark.parametrize(
    "follow_up, searched",
    [
        ("Et combien d’utilisateurs a-t-il ?", "Combien d’utilisateurs DeepSeek a-t-il ?"),
        ("Et ses utilisateurs quotidiens ?", "Les utilisateurs quotidiens de DeepSeek ?"),
        ("Quand est-ce qu’il a été lancé ?", "Quand est-ce que DeepSeek a été lancé ?"),
        ("Qui l’utilise ? Elle est gratuite ?", "Qui l’utilise ? DeepSeek est gratuite ?"),
        ("Et pour Zorblax ?", "Quand Zorblax a-t-il été lancé ?"),
    ],
)
def test_french_follow_ups(follow_up, searched):
    assert resolve_followup(follow_up, ["Quand DeepSeek a-t-il été lancé ?"]) == searched


def test_impersonal_il_is_not_a_pronoun_for_the_topic():
    resolved = resolve_followup("Combien y a-t-il d’utilisateurs quotidiens dans le pays ?", [LAUNCH])
    assert "a-t-il" in resolved and "DeepSeek a-t-il" not in resolved


def test_self_contained_questions_are_unchanged():
    for question in ["Who founded Mistral AI?", "What is the capital of France?", "Is open source software free?"]:
        assert resolve_followup(question, [LAUNCH]) == question


def test_nothing_to_resolve_against():
    assert resolve_followup("And how many users does it have?", []) == "And how many users does it have?"
    assert resolve_followup("And how many users does it have?", ["what is this about?"]) == (
        "And how many users does it have?"
    )


def test_topic_without_a_name_comes_from_the_determiner_phrase():
    assert resolve_followup("And how many users does it have?", ["When was the app launched?"]) == (
        "How many users does the app have?"
    )
    assert resolve_followup("Et combien d’utilisateurs a-t-elle ?", ["Quand l’application a-t-elle été lancée ?"]) == (
        "Combien d’utilisateurs l’application a-t-elle ?"
    )


def test_names_and_topic():
    assert names("Did Xi Jinping meet Great Wall Motors about DeepSeek-R1 in 2025?") == [
        "Xi Jinping",
        "Great Wall Motors",
        "DeepSeek-R1",
        "2025",
    ]
    assert names("When was it launched?") == []
    assert names("OpenAI's models") == ["OpenAI"]  # a capital at the start counts only inside a word
    assert topic("Quand DeepSeek a-t-il été lancé ?") == "DeepSeek"


def test_conversation_resolves_against_the_latest_turn_with_a_topic():
    conversation = Conversation()
    conversation.add(resolve_followup(LAUNCH, []))
    second = conversation.resolve("And how many users does it have?")
    conversation.add(second)
    conversation.add("what else?")  # no topic: the one before still counts
    assert conversation.resolve("And its licence?") == "DeepSeek's licence?"
    conversation.add("Who founded Zorblax?")
    assert conversation.resolve("When was it founded?") == "When was Zorblax founded?"
    conversation.clear()
    assert conversation.resolve("When was it founded?") == "When was it founded?"
