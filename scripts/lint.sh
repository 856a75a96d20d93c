#!/usr/bin/env bash
# Lint: swift-format's rules, configured in .swift-format, over every Swift file of the packages.
#
# swift-format also reports every line its pretty printer would lay out differently. This tree
# aligns continuation lines under their opening parenthesis, which that printer cannot express, so
# its layout findings ([Indentation], [AddLines], [RemoveLine], [Spacing], [TrailingComma],
# [LineLength]) are left out: satisfying them would rewrite most files and every open branch with
# them. Everything else it finds (naming, documentation comments, access levels, force unwraps of
# the rules enabled, unparsable files) fails the lint.
set -euo pipefail
cd "$(dirname "$0")/.."

if swift format --version >/dev/null 2>&1; then
    swift_format=(swift format)
elif command -v swift-format >/dev/null 2>&1; then
    swift_format=(swift-format)
else
    echo "lint: swift-format is missing: it ships with Swift 6 toolchains as 'swift format' (or install swift-format)" >&2
    exit 1
fi

layout='\[(Indentation|AddLines|RemoveLine|Spacing|TrailingComma|LineLength)\]'
output=$("${swift_format[@]}" lint --configuration .swift-format --recursive Package.swift Sources Tests Benchmarks Fuzz 2>&1) || true
findings=$(printf '%s\n' "$output" | grep -Ev "$layout" | grep -v '^$' || true)
if [ -n "$findings" ]; then
    printf '%s\n' "$findings" >&2
    echo "lint: $(printf '%s\n' "$findings" | grep -c 'warning:\|error:') finding(s) above (rules in .swift-format)" >&2
    exit 1
fi
echo "lint: no findings ($("${swift_format[@]}" --version | head -1), rules in .swift-format)"
