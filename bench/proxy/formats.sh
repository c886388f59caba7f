#!/usr/bin/env bash
# The same manuals in other formats: bench/proxy/formats.sh [NAME...]
#
# A user's folder holds DOCX and plain text as well as HTML, and most DOCX and text manuals are made by a
# converter from the HTML or DocBook their project writes. This turns the HTML folders that
# bench/proxy/run.sh fetched (run it first), and the development folders given by name, into DOCX and plain
# text with pandoc, indexes each into $WORK/indexes/NAME-FORMAT and scores the same questions
# (bench/proxy/NAME.jsonl, else ../shared/eval/NAME.jsonl): a format the readers handle worse than HTML
# shows as a lower score on the same questions.
#
# pandoc is no dependency of qa: give its path in PANDOC, or have pypandoc-binary installed in some other
# virtualenv (e.g. python3 -m venv /tmp/pandoc && /tmp/pandoc/bin/pip install pypandoc-binary, then
# PANDOC=$(/tmp/pandoc/bin/python -c 'import pypandoc; print(pypandoc.get_pandoc_path())')).
#
#   NAME      geany, kicad-fr, faq (bench/proxy/run.sh's folders: HTML), lilypond-fr (HTML),
#             python-tutorial (reStructuredText); default: geany kicad-fr
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
shared=${SHARED:-$project/../shared}
work=${WORK:-$HOME/.cache/qa-proxy}
qa=${QA:-$project/.venv/bin/qa}
pandoc=${PANDOC:-pandoc}
export HF_HUB_OFFLINE=1
command -v "$pandoc" >/dev/null || { echo "formats.sh: pandoc not found: set PANDOC (see the comment at the top)" >&2; exit 2; }
names=("$@")
[[ ${#names[@]} -gt 0 ]] || names=(geany kicad-fr)
for name in "${names[@]}"; do
    case $name in
        geany | kicad-fr | faq) source=$work/docs/$name from=html questions=$here/$name.jsonl ;;
        lilypond-fr) source=$shared/eval/corpora/$name from=html questions=$shared/eval/$name.jsonl ;;
        python-tutorial) source=$shared/eval/corpora/$name from=rst questions=$shared/eval/$name.jsonl ;;
        *) echo "formats.sh: unknown folder $name" >&2; exit 2 ;;
    esac
    [[ -d $source ]] || { echo "formats.sh: $source is missing (bench/proxy/run.sh fetches it)" >&2; exit 2; }
    for format in docx txt; do
        folder=$work/formats/$name-$format
        rm -rf "$folder" && mkdir -p "$folder"
        for file in "$source"/*; do
            case $file in *.html | *.txt) ;; *) continue ;; esac
            base=$(basename "${file%.*}")
            # Images the HTML links to are not fetched: pandoc writes their description instead.
            "$pandoc" -f "$from" "$file" -t "$([[ $format == txt ]] && echo plain || echo docx)" \
                -o "$folder/$base.$format" 2>/dev/null
        done
        index=$work/indexes/$name-$format
        "$qa" index "$folder" --index "$index" >/dev/null
        python3 -c 'import json,sys; [print(json.loads(l)["question"]) for l in open(sys.argv[1]) if l.strip()]' \
            "$questions" | "$qa" ask --index "$index" --json - >"$work/formats/$name-$format.answers.jsonl"
        echo "$name ($format): $(python3 "$shared/eval/score.py" "$questions" "$work/formats/$name-$format.answers.jsonl" | tail -1)"
    done
done
