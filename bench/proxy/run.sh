#!/usr/bin/env bash
# Two manuals no fit has seen, as a new user's folder would be: bench/proxy/run.sh
#
#   geany     the Geany editor's HTML manual (geany-common), English: menus, shortcuts, options
#   kicad-fr  KiCad's French project-manager guide and getting-started guide (kicad-doc-fr), French with
#             untranslated English paragraphs
#   faq       two FAQs: Git's (git-doc, English) and the French security FAQ chapter of harden-doc; both
#             packages are among qa.train.manuals' manuals, so a fit with --generated has seen their text
#
# Each package is fetched with apt-get download and unpacked with dpkg-deb -x (the version the archive
# serves), its manual indexed into ~/.cache/qa-proxy/indexes/NAME, and the questions of bench/proxy/NAME.jsonl
# (written by hand from the manuals, 60 in all, 10 unanswerable) answered and scored by ../shared/eval/score.py.
# These questions were written after the development sets and are no fit's data: a check of what a new folder
# gets, beside the held-out evaluation nobody here sees.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
score=${SCORE:-$project/../shared/eval/score.py}
work=${WORK:-$HOME/.cache/qa-proxy}
qa=${QA:-$project/.venv/bin/qa}
export HF_HUB_OFFLINE=1
mkdir -p "$work"
fetch() {  # fetch PACKAGE: unpacked under $work/PACKAGE (beside it first, so a failed unpack is not kept)
    [[ -d $work/$1 ]] && return
    (cd "$work" && rm -rf "$1.partial" "$1"_*.deb && apt-get download "$1" >/dev/null \
        && dpkg-deb -x "$1"_*.deb "$1.partial" && mv "$1.partial" "$1" && rm -f "$1"_*.deb)
}
fetch geany-common
fetch kicad-doc-fr
fetch git-doc
fetch harden-doc
mkdir -p "$work/docs/geany" "$work/docs/kicad-fr" "$work/docs/faq"
cp "$work/geany-common/usr/share/doc/geany/html/index.html" "$work/docs/geany/geany-manual.html"
cp "$work"/kicad-doc-fr/usr/share/doc/kicad/help/fr/{getting_started_in_kicad,kicad}.html "$work/docs/kicad-fr/"
cp "$work/git-doc/usr/share/doc/git-doc/gitfaq.html" "$work/docs/faq/gitfaq.html"
cp "$work/harden-doc/usr/share/doc/harden-doc/html/fr-FR/ch12.html" "$work/docs/faq/securite-faq.html"
for name in geany kicad-fr faq; do
    index=$work/indexes/$name  # beside the packages: ~/.cache/qa-eval holds the development sets alone
    "$qa" index "$work/docs/$name" --index "$index" >/dev/null
    python3 -c 'import json,sys; [print(json.loads(l)["question"]) for l in open(sys.argv[1]) if l.strip()]' \
        "$here/$name.jsonl" | "$qa" ask --index "$index" --json - >"$work/$name.answers.jsonl"
    echo "$name: $(python3 "$score" "$here/$name.jsonl" "$work/$name.answers.jsonl" | tail -1)"
done
