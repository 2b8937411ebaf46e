#!/usr/bin/env python3
"""Validates JSON documents against clip-tui's committed schemas (JSON Schema draft 2020-12).

    scripts/validate_json.py SCHEMA_NAME FILE...   (SCHEMA_NAME: eval, compare, prompt-set, ...)

Every schema in Schemas/ is registered by its $id, so the shared vocabulary
(urn:clip-tui:schema:common) resolves. Prints each error with its JSON path and exits 1
when any document is invalid, 2 when a schema itself is not valid draft 2020-12.
"""
import json
import pathlib
import sys

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

try:  # jsonschema >= 4.18
    from referencing import Registry, Resource
except ImportError:  # Debian 12's python3-jsonschema 4.10: the older resolver
    Registry = None

SCHEMAS = pathlib.Path(__file__).resolve().parent.parent / "Schemas"


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    resources = {}
    for path in sorted(SCHEMAS.glob("*.schema.json")):
        schema = json.loads(path.read_text())
        try:
            Draft202012Validator.check_schema(schema)
        except Exception as e:  # a schema that is not valid draft 2020-12
            print(f"{path}: not a valid draft 2020-12 schema: {e}", file=sys.stderr)
            return 2
        resources[schema["$id"]] = schema
    name = argv[1]
    schema = resources.get(f"urn:clip-tui:schema:{name}")
    if schema is None:
        print(f"no schema {name} in {SCHEMAS}", file=sys.stderr)
        return 2
    if Registry is not None:
        registry = Registry().with_resources((k, Resource.from_contents(v)) for k, v in resources.items())
        validator = Draft202012Validator(schema, registry=registry)
    else:
        from jsonschema import RefResolver

        validator = Draft202012Validator(schema, resolver=RefResolver.from_schema(schema, store=resources))
    failed = False
    for file in argv[2:]:
        try:
            document = json.loads(pathlib.Path(file).read_text())
        except (OSError, ValueError) as e:
            print(f"{file}: not JSON: {e}", file=sys.stderr)
            failed = True
            continue
        for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
            failed = True
            # Under anyOf/oneOf, the branch that came closest says what is wrong.
            while error.context:
                error = max(error.context, key=lambda e: (len(e.absolute_path), e is best_match(error.context)))
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            print(f"{file}: {where}: {error.message[:300]}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
