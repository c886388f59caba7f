"""The chat's stylesheet, kept in Python so it ships with the package without package-data rules."""

CSS = """
/* Layout: transcript on the left, citations on the right, question box and footer below. */

#main {
    height: 1fr;
}

#transcript {
    width: 3fr;
    padding: 0 1;
}

#welcome {
    color: $text-muted;
    margin: 1 0;
}

#citations {
    width: 2fr;
    border: round $primary 50%;
    border-title-color: $text;
    padding: 0 1;
}

#citation-tabs {
    margin-bottom: 1;
}

.turn {
    height: auto;
    margin-bottom: 1;
    padding: 0 1;
    border-left: blank;
}

.turn.-selected {
    border-left: thick $accent;
}

.turn .question {
    color: $text;
    text-style: bold;
}

.turn .searched {
    display: none;
    color: $text-muted;
}

.turn .searched.-shown {
    display: block;
}

.turn .status {
    color: $text-muted;
}

.turn .status.-error {
    color: $error;
    text-style: bold;
}

.turn Markdown.answer {
    margin: 0;
    padding: 0;
    background: transparent;
}

.turn .sources {
    color: $text-muted;
}

/* A draft streamed by the LLM is provisional: dim, italic, a dashed edge, until it is checked. */
.turn .draft {
    color: $text-muted;
    text-style: italic;
    border-left: dashed $warning 60%;
    padding-left: 1;
}

.turn .generated {
    color: $text-muted;
    text-style: italic;
}

.turn .llm-notice {
    color: $warning;
}

/* "Not in the documents" is not an answer: it looks like a warning, not like prose. */
.turn .abstained {
    color: $warning;
    border-left: outer $warning;
    padding-left: 1;
}

/* An abstention's nearest passages: where to look, dimmed so they read as no answer. */
.turn .nearest {
    color: $text-muted;
    padding-left: 2;
}

#status {
    height: 1;
    padding: 0 1;
}

#status-label {
    width: auto;
    margin-right: 2;
    color: $text-muted;
}

#question {
    margin: 0 1;
}

HelpScreen, ConversationsScreen {
    align: center middle;
}

#conversations {
    width: 90%;
    max-width: 130;
    height: auto;
    max-height: 80%;
    border: round $accent;
    padding: 1 2;
    background: $surface;
}

#conversation-list {
    height: auto;
    max-height: 30;
    border: none;
    padding: 0;
    text-wrap: nowrap;
    text-overflow: ellipsis;
}

#conversation-filter {
    margin-bottom: 1;
}

#conversations-none {
    display: none;
    height: auto;
    color: $text-muted;
}

#conversations-hint {
    margin-top: 1;
    color: $text-muted;
    text-style: italic;
}

#help {
    width: 84;
    max-width: 100%;
    height: auto;
    max-height: 100%;
    border: round $accent;
    padding: 1 2;
    background: $surface;
}

#help-about {
    margin-top: 1;
    color: $text-muted;
}
"""
