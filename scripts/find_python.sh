#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter (Rasa 3.6 supports 3.8–3.10; we pin 3.10).
# Order: $PYTHON, python3.10 on PATH, pyenv's 3.10.x. Exit 1 with a clear message when none is found.
set -u
is310() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; }
if [ -n "${PYTHON:-}" ]; then
  if is310 "$PYTHON"; then command -v "$PYTHON"; exit 0; fi
  echo "PYTHON=$PYTHON is not a Python 3.10 interpreter." >&2; exit 1
fi
if command -v python3.10 >/dev/null 2>&1 && is310 python3.10; then
  # a pyenv shim resolves through .python-version; ask the interpreter for its real path
  python3.10 -c 'import sys; print(sys.executable)'; exit 0
fi
root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
for candidate in "$root"/versions/3.10.*/bin/python3.10; do
  if [ -x "$candidate" ] && is310 "$candidate"; then echo "$candidate"; exit 0; fi
done
cat >&2 <<'MSG'
No Python 3.10 found. Rasa 3.6 runs on Python 3.8-3.10 only; this project pins 3.10.
Install it with pyenv:   pyenv install 3.10.13   (the project's .python-version selects it)
or with your system:     apt-get install python3.10 python3.10-venv
or point to one:         make test PYTHON=/path/to/python3.10
MSG
exit 1
