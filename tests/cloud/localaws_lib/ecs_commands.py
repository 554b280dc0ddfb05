"""What a one-off task's container "executes": the command of run-task's containerOverrides, in
a small language the simulator understands (tests/cloud/README.md, "One-off tasks").

    echo WORDS    one log line (the words joined by a space)
    sleep N       N simulated seconds (a decimal number)
    exit [N]      the container exits N (0-255; default: the last status)
    true, false   status 0, 1
    A ; B         B after A, whatever A's status
    A && B        B only when A's status is 0

Anything else is `sh: 1: NAME: not found`, status 127, as a shell says it. The container exits
with the status of the last command run. ["sh", "-c", SCRIPT] (or bash, /bin/sh …) runs SCRIPT;
any other argv is taken as one script, its words joined by spaces.
"""

import shlex

SHELLS = {"sh", "bash", "ash", "dash", "/bin/sh", "/bin/bash", "/usr/bin/sh", "/usr/bin/bash"}


def script_of(argv):
    """The script an overriding command runs."""
    argv = [str(a) for a in argv or []]
    if len(argv) >= 3 and argv[0] in SHELLS and argv[1] == "-c":
        return argv[2]
    return " ".join(shlex.quote(a) if not a or any(c in a for c in " \t'\"") else a for a in argv)


def parse(script):
    """[(joiner, words)], joiner ';' or '&&' before the command; a syntax error ends in an
    `exit 2` after the shell's message."""
    lex = shlex.shlex(script.replace("\n", ";"), posix=True, punctuation_chars=";&|")
    lex.whitespace_split = True
    out, words, joiner = [], [], ";"
    try:
        for tok in lex:
            if tok in (";", "&&"):
                if words:
                    out.append((joiner, words))
                elif tok == "&&" or joiner == "&&":
                    return out + [(";", ["echo", f"sh: 1: Syntax error: \"{tok}\" unexpected"]),
                                  (";", ["exit", "2"])]
                words, joiner = [], tok
            else:
                words.append(tok)
    except ValueError as e:  # an unterminated quote
        return [(";", ["echo", f"sh: 1: Syntax error: {e}"]), (";", ["exit", "2"])]
    if words:
        out.append((joiner, words))
    return out


class Run:
    """One container's script being run: step() runs until it sleeps or exits."""

    def __init__(self, argv):
        self.script = parse(script_of(argv))
        self.pc = 0
        self.status = 0
        self.exit_code = None   # set when the container has exited

    def step(self, log):
        """Runs what is due; log(line) writes a line. Returns the seconds to sleep before the
        next step, or None once exited (exit_code set)."""
        while self.pc < len(self.script):
            joiner, words = self.script[self.pc]
            self.pc += 1
            if joiner == "&&" and self.status != 0:
                continue
            name, args = words[0], words[1:]
            if name == "echo":
                log(" ".join(args))
                self.status = 0
            elif name in ("true", ":"):
                self.status = 0
            elif name == "false":
                self.status = 1
            elif name == "sleep":
                try:
                    seconds = float(args[0]) if len(args) == 1 else -1
                except ValueError:
                    seconds = -1
                if seconds < 0:
                    log(f"sleep: invalid time interval '{' '.join(args)}'")
                    self.status = 1
                    continue
                self.status = 0
                return seconds
            elif name == "exit":
                try:
                    code = int(args[0]) if args else self.status
                except ValueError:
                    log(f"sh: 1: exit: Illegal number: {args[0]}")
                    code = 2
                self.exit_code = code & 255
                return None
            else:
                log(f"sh: 1: {name}: not found")
                self.status = 127
        self.exit_code = self.status
        return None
