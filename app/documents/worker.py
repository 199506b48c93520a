"""The worker that parses one untrusted file: limits itself first, then reads a request on stdin.

Run as `python -I -m app.documents.worker`. The request is one JSON line (`kind`, `pages`) followed
by the file's bytes; the answer on stdout is one JSON object, either the document or an `error` a
person can read. A file that needs more memory than MEMORY_LIMIT or more CPU than CPU_SECONDS ends
here, in this process, never in the server.
"""

from __future__ import annotations

import json
import resource
import sys

MEMORY_LIMIT = 256 * 1024 * 1024
CPU_SECONDS = 10


def limit_self() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def answer() -> dict[str, object]:
    from app.documents.extract import DocumentError, extract

    request = json.loads(sys.stdin.buffer.readline())
    data = sys.stdin.buffer.read()
    pages = request.get("pages")
    try:
        document = extract(str(request["kind"]), data, tuple(pages) if pages else None)  # pyright: ignore[reportArgumentType]
    except DocumentError as error:
        return {"error": str(error)}
    except MemoryError:
        return {"error": f"this file needs more than the {MEMORY_LIMIT // (1024 * 1024)} MB a document may use"}
    except RecursionError:
        return {"error": "this file is nested too deeply to read (damaged or built to break readers)"}
    except Exception as error:
        print(f"document reader failed: {type(error).__name__}", file=sys.stderr)  # noqa: T201
        return {"error": "this file could not be read (damaged, or a form this reader does not know)"}
    return {"text": document.text, "parts": document.parts, "note": document.note}


def main() -> None:
    limit_self()
    try:
        result = answer()
    except MemoryError:
        result = {"error": f"this file needs more than the {MEMORY_LIMIT // (1024 * 1024)} MB a document may use"}
    sys.stdout.write(json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
