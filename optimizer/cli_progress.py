"""Progress of counted work on the command line: a bar on a terminal, a line per tenth elsewhere.

A thousand draws arrive in dozens of batches; one line each is noise in a log. On a terminal
the count drives a rich progress bar; in a log or a pipe a line is printed when the count
first reaches each further tenth of the total (and at the start and the end), so a run of any
length writes about a dozen lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

__all__ = ["Counted", "TenthLines", "counted_progress"]

Counted = Callable[[int, int], None]


class TenthLines:
    """Call ``say`` with a line when ``done`` reaches a further tenth of ``total``.

    Parameters
    ----------
    say : callable
        Prints one line.
    label : str
        What is counted (``draws``).
    """

    def __init__(self, say: Callable[[str], None], label: str) -> None:
        self._say = say
        self._label = label
        self._tenth = -1  # the last tenth reported

    def __call__(self, done: int, total: int) -> None:
        """Report ``done`` of ``total`` if it starts, ends or crosses into a new tenth."""
        tenth = 10 if total <= 0 or done >= total else (10 * done) // total
        if tenth <= self._tenth:
            return
        self._tenth = tenth
        share = f" ({100 * done / total:.0f} %)" if total > 0 else ""
        self._say(f"  {done}/{total} {self._label}{share}")


@contextmanager
def counted_progress(console: Console, label: str, *, quiet: bool = False
                     ) -> Iterator[Counted]:
    """A ``(done, total)`` callback for the length of the block.

    A rich bar when ``console`` is a terminal, else :class:`TenthLines`; nothing when
    ``quiet`` (``--json``).
    """
    if quiet:
        yield lambda _done, _total: None
        return
    if not console.is_terminal:
        yield TenthLines(lambda line: console.print(line, highlight=False, markup=False), label)
        return
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update
