#!/usr/bin/env bash
# The player's words in gettext catalogs (investigations/locale/<code>/LC_MESSAGES/messages.po).
#   scripts/i18n.sh extract        msgids from app/ and investigations/ into investigations/locale/messages.pot
#   scripts/i18n.sh update         extract, then merge new and changed msgids into every catalog
#   scripts/i18n.sh init pt        extract, then start the catalog of a new language (CLDR plural rule)
#   scripts/i18n.sh compile        check that every catalog compiles, with how much of it is translated
# The service reads the .po files itself at start (no .mo files are kept); tests/investigations/
# test_catalogs.py fails while a catalog misses a message.
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL="${PYBABEL:-.venv/bin/pybabel}"
LOCALE=investigations/locale
POT="$LOCALE/messages.pot"

extract() {
    mkdir -p "$LOCALE"
    "$PYBABEL" extract --mapping-file babel.cfg --add-comments Translators: --strip-comment-tags \
        --add-location file --sort-by-file --no-wrap --project depositdesk --copyright-holder "the depositdesk authors" --output-file "$POT" app investigations
}

case "${1:-}" in
    extract) extract ;;
    update)
        extract
        "$PYBABEL" update --input-file "$POT" --output-dir "$LOCALE" --no-wrap --ignore-obsolete --previous
        ;;
    init)
        language="${2:?usage: scripts/i18n.sh init LANGUAGE (e.g. pt)}"
        extract
        "$PYBABEL" init --input-file "$POT" --output-dir "$LOCALE" --locale "$language" --no-wrap
        ;;
    compile)
        checked=$(mktemp -d)
        trap 'rm -rf "$checked"' EXIT
        for po in "$LOCALE"/*/LC_MESSAGES/messages.po; do
            language=$(basename "$(dirname "$(dirname "$po")")")
            "$PYBABEL" compile --input-file "$po" --output-file "$checked/$language.mo" --locale "$language" --statistics
        done
        ;;
    *)
        echo "usage: scripts/i18n.sh extract|update|init LANGUAGE|compile" >&2
        exit 2
        ;;
esac
