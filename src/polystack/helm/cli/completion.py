"""Shell completion as cobra does it for Helm: `helm completion SHELL` prints a
script that, for each word being completed, runs the hidden command
``helm __complete ARGS... WORD`` (``__completeNoDesc`` without descriptions)
and offers what it prints.

``__complete`` prints one candidate per line (``value<TAB>description``), then a
line ``:N`` with cobra's ShellCompDirective bits (1 error, 2 no space after the
word, 4 no file completion, 8 the candidates are file extensions, 16 complete
directories only, 32 keep the order), and on stderr
``Completion ended with directive: ...``. The scripts are written here for
polystack; they follow that protocol, so they complete `helm` as Helm's do.
"""

from __future__ import annotations

import click

__all__ = ["complete", "script", "SHELLS", "DIRECTIVE_NAMES"]

ERROR, NO_SPACE, NO_FILE_COMP, FILTER_FILE_EXT, FILTER_DIRS, KEEP_ORDER = 1, 2, 4, 8, 16, 32
DIRECTIVE_NAMES = (
    (ERROR, "ShellCompDirectiveError"),
    (NO_SPACE, "ShellCompDirectiveNoSpace"),
    (NO_FILE_COMP, "ShellCompDirectiveNoFileComp"),
    (FILTER_FILE_EXT, "ShellCompDirectiveFilterFileExt"),
    (FILTER_DIRS, "ShellCompDirectiveFilterDirs"),
    (KEEP_ORDER, "ShellCompDirectiveKeepOrder"),
)
SHELLS = ("bash", "fish", "zsh")


def directive_text(d: int) -> str:
    names = [name for bit, name in DIRECTIVE_NAMES if d & bit]
    return ", ".join(names) if names else "ShellCompDirectiveDefault"


def _subcommands(cmd: click.Command) -> dict[str, click.Command]:
    if not isinstance(cmd, click.Group):
        return {}
    return {n: c for n, c in cmd.commands.items() if not c.hidden and not n.startswith("__")}


def _lookup(cmd: click.Command, word: str) -> click.Command | None:
    if not isinstance(cmd, click.Group):
        return None
    name = getattr(cmd, "aliases", {}).get(word, word)
    sub = cmd.commands.get(name)
    if sub is None:  # a cobra alias of a subcommand (`repo ls`)
        for c in cmd.commands.values():
            if word in getattr(c, "cobra_aliases", ()):
                return c
    return sub


def _options(cmd: click.Command) -> list[click.Option]:
    from polystack.helm.cli.cobra import params_of

    return [p for p in params_of(cmd) if isinstance(p, click.Option) and not p.hidden]


def _takes_value(cmd: click.Command, flag: str) -> bool:
    for p in _options(cmd):
        if flag in p.opts:
            return not p.is_flag and not p.count
    return False


def complete(root: click.Group, args: list[str], descriptions: bool) -> tuple[list[str], int]:
    """cobra's __complete: the candidates for the last word of ``args`` (the
    words after `helm`, the last one being completed, maybe empty), and the
    directive."""
    words, to_complete = args[:-1], (args[-1] if args else "")
    cmd: click.Command = root
    positional: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        if w == "--":
            positional += words[i + 1 :]
            break
        if w.startswith("-") and len(w) > 1:
            if "=" not in w and _takes_value(cmd, w):
                if i + 1 == len(words):  # completing the value of this flag
                    return [], 0
                i += 1
        elif not positional and (sub := _lookup(cmd, w)) is not None:
            cmd = sub
        else:
            positional.append(w)
        i += 1

    def entry(value: str, desc: str) -> str:
        desc = " ".join(desc.split())
        return f"{value}\t{desc}" if descriptions and desc else value

    if to_complete.startswith("-"):
        out: list[str] = []
        for p in _options(cmd):
            desc = p.help or ""
            for o in sorted(p.opts, key=lambda o: not o.startswith("--")):
                if o.startswith(to_complete):
                    out.append(entry(o, desc))
        for o in ("--help", "-h"):
            if o.startswith(to_complete):
                out.append(entry(o, f"help for {cmd.name}"))
        return out, NO_FILE_COMP
    subs = _subcommands(cmd)
    if subs and not positional:
        out = [
            entry(name, c.get_short_help_str(limit=10000))
            for name, c in sorted(subs.items())
            if name.startswith(to_complete)
        ]
        return out, NO_FILE_COMP
    path = _command_path(root, cmd)
    if path == "completion":
        return [s for s in SHELLS if s.startswith(to_complete)], NO_FILE_COMP
    if path in ("repo remove", "repo update"):
        return [n for n in _repo_names() if n.startswith(to_complete)], NO_FILE_COMP
    return [], 0  # cobra's default: the shell completes file names


def _command_path(root: click.Group, cmd: click.Command) -> str:
    def walk(g: click.Command, prefix: list[str]) -> str | None:
        if g is cmd:
            return " ".join(prefix)
        for name, c in _subcommands(g).items():
            found = walk(c, [*prefix, name])
            if found is not None:
                return found
        return None

    return walk(root, []) or ""


def _repo_names() -> list[str]:
    try:
        from polystack.helm.remote.repo import helm_dirs, load_repo_file

        return [r.name for r in load_repo_file(helm_dirs()[0]).repositories]
    except Exception:  # noqa: BLE001 - no repositories file: nothing to offer
        return []


# ---------------------------------------------------------------- scripts

_BASH = r"""# bash completion for helm (polystack)                    -*- shell-script -*-
# Load it in this shell:          source <(helm completion bash)
# Or for every session, e.g.:     helm completion bash > /etc/bash_completion.d/helm

__helm_complete_words()
{
    local cur words cword
    if declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
        _get_comp_words_by_ref -n "=:" cur words cword
    else
        cur="${COMP_WORDS[COMP_CWORD]}"
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    fi
    local out
    out=$("${words[0]}" @REQUEST@ "${words[@]:1:cword-1}" "$cur" 2>/dev/null)
    local directive=${out##*:}
    [[ $directive =~ ^[0-9]+$ ]] || directive=0
    local candidates=() line
    while IFS='' read -r line; do
        [[ $line == :* || -z $line ]] && continue
        candidates+=("${line%%$'\t'*}")
    done <<< "$out"

    COMPREPLY=()
    (( directive & 1 )) && return
    (( directive & 2 )) && compopt -o nospace 2>/dev/null
    (( directive & 4 )) && compopt +o default 2>/dev/null
    if (( directive & 8 )); then
        local ext
        for ext in "${candidates[@]}"; do
            COMPREPLY+=($(compgen -f -X "!*.$ext" -- "$cur"))
        done
        COMPREPLY+=($(compgen -d -- "$cur"))
        return
    fi
    if (( directive & 16 )); then
        COMPREPLY=($(compgen -d -- "$cur"))
        return
    fi
    local c
    for c in "${candidates[@]}"; do
        [[ $c == "$cur"* ]] && COMPREPLY+=("$c")
    done
}

complete -o default -F __helm_complete_words helm
"""

_ZSH = r"""#compdef helm
# zsh completion for helm (polystack)
# Load it in this shell:   source <(helm completion zsh)
# Or put the output in a file named _helm in a directory of your $fpath.

_helm()
{
    local -a args lines described
    local out directive line value desc
    args=("${(@)words[2,CURRENT-1]}")
    out=$(${words[1]} @REQUEST@ "${(@)args}" "${words[CURRENT]}" 2>/dev/null)
    lines=("${(@f)out}")
    directive=${${lines[-1]}#:}
    [[ $directive == <-> ]] || directive=0
    lines=("${(@)lines[1,-2]}")
    (( directive & 1 )) && return 1
    if (( directive & 16 )); then
        _path_files -/
        return
    fi
    if (( directive & 8 )); then
        local -a globs
        for line in "${lines[@]}"; do globs+=("*.${line%%$'\t'*}"); done
        _files -g "(${(j:|:)globs})"
        return
    fi
    for line in "${lines[@]}"; do
        [[ -z $line ]] && continue
        value=${line%%$'\t'*}
        desc=""
        [[ $line == *$'\t'* ]] && desc=${line#*$'\t'}
        described+=("${value//:/\\:}${desc:+:$desc}")
    done
    if (( ${#described} )); then
        if (( directive & 2 )); then
            _describe -t helm 'helm' described -S ''
        else
            _describe -t helm 'helm' described
        fi
        return
    fi
    (( directive & 4 )) || _files
}

if [ "$funcstack[1]" = "_helm" ]; then
    _helm "$@"
else
    compdef _helm helm
fi
"""

_FISH = r"""# fish completion for helm (polystack)
# Load it in this shell:   helm completion fish | source
# Or for every session:    helm completion fish > ~/.config/fish/completions/helm.fish

function __helm_complete_words
    set -l args (commandline -opc)
    set -e args[1]
    set -l cur (commandline -ct)
    set -l out (helm @REQUEST@ $args $cur 2>/dev/null)
    set -l directive (string replace -r '^:' '' -- $out[-1])
    string match -qr '^[0-9]+$' -- $directive; or set directive 0
    set -e out[-1]
    if test (math "bitand($directive, 1)") -ne 0
        return
    end
    if test (math "bitand($directive, 16)") -ne 0
        __fish_complete_directories $cur
        return
    end
    if test (math "bitand($directive, 8)") -ne 0
        for ext in $out
            __fish_complete_suffix $cur .$ext
        end
        return
    end
    for line in $out
        test -n "$line"; and echo $line
    end
    if test (count $out) -eq 0; and test (math "bitand($directive, 4)") -eq 0
        __fish_complete_path $cur
    end
end

complete -c helm -e
complete -c helm -f -a '(__helm_complete_words)'
"""


def script(shell: str, descriptions: bool = True) -> str:
    """The completion script for `helm` in ``shell`` (one of SHELLS)."""
    text = {"bash": _BASH, "zsh": _ZSH, "fish": _FISH}[shell]
    return text.replace("@REQUEST@", "__complete" if descriptions else "__completeNoDesc")
