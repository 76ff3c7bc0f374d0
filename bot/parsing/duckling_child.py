"""The Duckling worker process: reads requests as JSON lines on stdin, answers on stdout.

Run by `bot.parsing.duckling_worker` as a script (by path, so that no package of ours is imported),
never by hand. Its memory is capped before Duckling's Haskell runtime starts, so an input that makes
Duckling's chart parser explode ends this process, never the one that asked.
"""

import json
import resource
import sys
import zoneinfo
from pathlib import Path


def _cap_memory(megabytes: int) -> None:
    # RLIMIT_DATA counts the heap the Haskell runtime commits (its address-space reservation is not
    # committed, so RLIMIT_AS would either block the reservation or not bind at all).
    limit = megabytes << 20
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def main() -> None:
    _cap_memory(int(sys.argv[1]))
    import duckling  # starts the Haskell runtime, inside the cap

    paths = [p for p in zoneinfo.TZPATH if Path(p, "UTC").exists()]
    time_zones = duckling.load_time_zones(paths[0] if paths else "/usr/share/zoneinfo")
    locales: dict = {}
    dimensions: dict = {}
    out = sys.stdout
    out.write("ready\n")
    out.flush()
    for line in sys.stdin:
        try:
            request = json.loads(line)
            lang, dimension = request["lang"], request["dim"]
            if lang not in locales:
                locales[lang] = duckling.default_locale_lang(duckling.parse_lang(lang))
            if dimension not in dimensions:
                dimensions[dimension] = duckling.parse_dimensions([dimension])
            reference = duckling.parse_ref_time(time_zones, "UTC", int(request["ref"]))
            context = duckling.Context(reference, locales[lang])
            answer = (
                '{"ok":true,"entities":'
                + duckling.parse_text(request["text"], context, dimensions[dimension], False)
                + "}"
            )
        except Exception as error:  # a bad request is answered, not fatal
            answer = json.dumps({"ok": False, "error": type(error).__name__})
        out.write(answer.replace("\n", " ") + "\n")
        out.flush()


if __name__ == "__main__":
    main()
