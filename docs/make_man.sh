#!/bin/sh
# Makes the man page regfitc(1) from docs/command-line.md, on stdout:
#   sh docs/make_man.sh docs/command-line.md > docs/regfitc.1
# It converts the subset of Markdown that page uses: headings, paragraphs,
# bullet lists, tables (one .TP entry a row), fenced blocks, `code`, **bold**
# and [links](x.md) (their text). tests/test_docs checks that docs/regfitc.1
# is what this makes, and that groff renders it without warnings.
set -eu
src=${1:-docs/command-line.md}
[ -r "$src" ] || { echo "make_man.sh: cannot read $src" >&2; exit 1; }

awk '
function esc(s) {            # roff escapes of plain text
    gsub(/\\/, "\\e", s)
    return s
}
function inline(s,    out, i, j, code) {
    s = esc(s)
    # [text](target) -> text
    while (match(s, /\[[^]]*\]\([^)]*\)/)) {
        t = substr(s, RSTART + 1, RLENGTH - 2)
        sub(/\]\(.*$/, "", t)
        s = substr(s, 1, RSTART - 1) t substr(s, RSTART + RLENGTH)
    }
    # **bold**
    while (match(s, /\*\*[^*]+\*\*/))
        s = substr(s, 1, RSTART - 1) "\\fB" substr(s, RSTART + 2, RLENGTH - 4) "\\fR" substr(s, RSTART + RLENGTH)
    # `code`: bold, with real minus signs
    out = ""
    while ((i = index(s, "`")) > 0) {
        rest = substr(s, i + 1)
        j = index(rest, "`")
        if (j == 0) break
        code = substr(rest, 1, j - 1)
        gsub(/-/, "\\-", code)
        out = out substr(s, 1, i - 1) "\\fB" code "\\fR"
        s = substr(rest, j + 1)
    }
    return out s
}
function line_out(s) {       # a text line may not start with . or '"'"'
    if (s ~ /^[.'"'"']/) s = "\\&" s
    print s
}
function cells(row, arr,    n) {
    sub(/^[ ]*\|[ ]*/, "", row)
    sub(/[ ]*\|[ ]*$/, "", row)
    n = split(row, arr, /[ ]*\|[ ]*/)
    return n
}
BEGIN { para = 0; fence = 0; table = 0; header = 0 }
fence {
    if ($0 ~ /^```/) { print ".fi"; print ".RE"; fence = 0; para = 0; next }
    line_out(esc($0))
    next
}
/^```/ { print ".PP"; print ".RS 4"; print ".nf"; fence = 1; next }
/^# / {
    print ".TH REGFITC 1 \"\" \"regfitc\" \"User Commands\""
    print ".SH NAME"
    print "regfitc \\- compile a small neural network from a YAML model file into specialised C, and train it"
    next
}
/^## / { sub(/^## /, ""); print ".SH " toupper($0); para = 0; next }
/^### / { sub(/^### /, ""); print ".SS " $0; para = 0; next }
/^\|/ {
    if (!table) { table = 1; header = 1; next }      # the header row
    if ($0 ~ /^[|: -]*$/) next                       # the separator row
    n = cells($0, c)
    print ".TP"
    line_out(inline(c[1]))
    text = c[2]
    for (k = 3; k <= n; k++) text = text "; " c[k]
    line_out(inline(text))
    para = 1
    next
}
{ table = 0 }
/^[ ]*$/ { para = 0; next }
/^- / { sub(/^- /, ""); print ".IP \\(bu 2"; line_out(inline($0)); para = 1; next }
{
    sub(/^[ ]+/, "")
    if (!para) { print ".PP"; para = 1 }
    line_out(inline($0))
}
' "$src"
