# Shared by scripts/run.sh and scripts/test.sh: find Python 3.10, build the venv, train when stale.
# shellcheck shell=bash
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
set -a
if [ "${ASSISTANT_PROFILE:-local}" = production ]; then
  # shellcheck source=scripts/profiles/production.env
  source "$ROOT/scripts/profiles/production.env"
fi
# shellcheck source=scripts/defaults.env
source "$ROOT/scripts/defaults.env"
set +a
# What the processes write (SQLite databases, logs, posters, screenshots) is the owner's alone: the
# databases hold customers' words and cases (the code makes them 0600 whatever the umask; this covers
# the rest).
umask 077
mkdir -p "$ROOT/var" "$ROOT/models"
chmod 700 "$ROOT/var"

export_secrets() {
  # The secrets in effect, as bot.config reads them (the environment's, else this checkout's
  # SECRETS_FILE, made on first run), exported for rasa's --auth-token and the endpoints file, so that
  # every process agrees. Fails with one line naming each problem (bot.profile) before anything starts.
  local assignments
  assignments="$(python -m bot.profile secrets)"
  set -a
  eval "$assignments"
  set +a
}

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

find_python310() {
  local candidate
  for candidate in "$(command -v python3.10 || true)" \
                   "$(command -v pyenv >/dev/null && echo "$(pyenv root)/versions/"3.10*/bin/python3.10)" \
                   /root/.pyenv/versions/3.10.13/bin/python3.10; do
    for c in $candidate; do
      if [ -x "$c" ] && "$c" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
        echo "$c"; return 0
      fi
    done
  done
  return 1
}

ensure_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    local py
    if ! py="$(find_python310)"; then
      echo "Python 3.10 is required (Rasa 3.6 supports 3.8-3.10) and was not found on PATH, in pyenv, or at /root/.pyenv/versions/3.10.13. Install it, e.g. 'pyenv install 3.10.13' or 'apt-get install python3.10 python3.10-venv', then run this command again." >&2
      exit 1
    fi
    log "creating virtualenv with $py"
    "$py" -m venv "$VENV"
  fi
  local want have
  want="$(cat requirements.txt constraints.txt | sha256sum | cut -c1-16)"
  have="$(cat "$VENV/.requirements-hash" 2>/dev/null || true)"
  if [ "$want" != "$have" ]; then
    log "installing dependencies (one pip command, pinned by constraints.txt)"
    "$VENV/bin/pip" install --quiet --upgrade "pip<25"
    "$VENV/bin/pip" install --quiet -r requirements.txt -c constraints.txt
    "$VENV/bin/pip" check
    echo "$want" > "$VENV/.requirements-hash"
  fi
  export PATH="$VENV/bin:$PATH"
}

has_chinese_font() {
  [ -n "$(fc-list :lang=zh 2>/dev/null)" ] || compgen -G "/usr/share/fonts/*/*/*[Cc][Jj][Kk]*" >/dev/null \
    || compgen -G "/usr/share/fonts/*/wqy/*" >/dev/null
}

ensure_debian_packages() {
  # Installs the Debian packages given (as root, with apt-get update first); otherwise says what to ask for.
  [ $# -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing $* (Debian packages)"
    # System packages are for every user: the usual umask, not ours.
    (umask 022 && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null)
    return 0
  fi
  echo "Missing Debian packages: $*. Ask an administrator to run: sudo apt-get update && sudo apt-get install $*" >&2
  return 1
}

ensure_chinese_font() {
  # Merchants' printable posters (PNG) carry Chinese text.
  has_chinese_font || ensure_debian_packages fonts-wqy-microhei \
    || echo "Without a Chinese font, PNG posters cannot be made (SVG posters still can)." >&2
}

ensure_test_packages() {
  # The widget's tests drive Debian's Chromium through Playwright (never `playwright install`);
  # a Chinese font makes their screenshots readable and the posters' text drawable; libfaketime
  # (Debian's faketime) runs tests at faked moments (devtools/clock.py).
  local missing=()
  [ -x "$CHROMIUM" ] || missing+=(chromium)
  has_chinese_font || missing+=(fonts-wqy-microhei)
  compgen -G "/usr/lib/*/faketime/libfaketime.so.1" >/dev/null || missing+=(faketime)
  if ! ensure_debian_packages "${missing[@]}"; then
    echo "The tests need Debian's Chromium at $CHROMIUM (or CHROMIUM pointing at another one)," \
         "a Chinese font (fonts-wqy-microhei) and libfaketime (faketime)." >&2
    exit 1
  fi
}

model_fingerprint() {
  # Whatever changes what the trained model does: training data, config, domain, our NLU components.
  find data config.yml domain.yml bot/nlu -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16
}

ensure_model() {
  local want
  want="$(model_fingerprint)"
  if [ -f "$MODEL_PATH" ] && [ "$(cat models/.fingerprint 2>/dev/null)" = "$want" ]; then
    log "model is up to date ($MODEL_PATH)"
    return 0
  fi
  log "training the model (data/, config.yml or domain.yml changed)"
  local started=$SECONDS
  # Training uses every core (the servers' one-thread setting is for serving).
  env -u TF_INTER_OP_PARALLELISM_THREADS -u TF_INTRA_OP_PARALLELISM_THREADS rasa train --quiet --fixed-model-name "$(basename "$MODEL_PATH" .tar.gz)" --out "$(dirname "$MODEL_PATH")"
  echo $((SECONDS - started)) > models/.train-seconds
  echo "$want" > models/.fingerprint
}
