#!/usr/bin/env bash
# Installs the Debian packages Accord needs, only when they are missing.
#   bash scripts/system-deps.sh          what the server uses (make run): npm for vendoring the
#                                        web assets, espeak-ng, Apertium, tesseract, fonts
#   bash scripts/system-deps.sh --test   also PostgreSQL (the production database, tests run on
#                                        it) and Chromium (browser tests) (make test)
set -euo pipefail
need=()
#   bash scripts/system-deps.sh --deploy also nginx and PostgreSQL (deploy/up.sh: the production
#                                        topology on one machine)
#   bash scripts/system-deps.sh --bench  also wrk, the HTTP load generator bench/dispatch.py
#                                        uses when present (its own client otherwise)
if [ "${1:-}" = "--deploy" ]; then
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
fi
if [ "${1:-}" = "--bench" ]; then
  command -v wrk >/dev/null || need+=(wrk)
fi
if [ "${1:-}" = "--test" ]; then
  command -v chromium >/dev/null || need+=(chromium)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
fi
command -v npm >/dev/null || need+=(npm)
command -v espeak-ng >/dev/null || need+=(espeak-ng)  # read-aloud of notices
# Machine translation where a model exists (rule-based Apertium pairs, run as a program).
for pair in eng-spa fr-es es-pt; do
  dpkg -s "apertium-$pair" >/dev/null 2>&1 || need+=("apertium-$pair")
done
command -v apertium >/dev/null || need+=(apertium)
# Passport MRZ reading: tesseract OCR (English model) and the OCR-B font for synthetic test pages.
for pkg in tesseract-ocr tesseract-ocr-eng fonts-ocr-b; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
# Video redaction (accord redact VIDEO): ffmpeg and ffprobe decode and re-encode the frames.
command -v ffmpeg >/dev/null || need+=(ffmpeg)
# CJK fonts so screenshots of the Chinese UI are readable.
fonts=$(fc-list 2>/dev/null || true)  # (not a pipe into grep -q: pipefail would misread it)
grep -qi "wenquanyi\|noto sans cjk" <<<"$fonts" || need+=(fonts-wqy-microhei)
grep -qi "tlwg" <<<"$fonts" || need+=(fonts-thai-tlwg)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "system-deps: installing ${need[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
