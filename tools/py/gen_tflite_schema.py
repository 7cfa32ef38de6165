"""Writes tflite/_schema_generated.ts from the TFLite schema as LiteRT ships
it (ai_edge_litert's flatc-generated schema_py_generated.py): every
BuiltinOperator code, every table of the BuiltinOptions union with its fields
(snake_case name, vtable slot, kind, default) and the options table each
builtin operator carries.

    .tools/venv/bin/python tools/py/gen_tflite_schema.py > tflite/_schema_generated.ts

(`deno task gen:schema`). The accessors flatc generates give each field's
slot (`self._tab.Offset(4 + 2 * slot)`), its type (the `*Flags` it reads) and
its default (what it returns when the field is absent). Fields onebit cannot
represent (tables, structs, unions, vectors of anything but numbers) are left
out and listed on stderr; deprecated fields have no accessor and are absent.

Every enum of the schema (Padding, ActivationFunctionType, TensorType, ...)
is written out with its members, so readers print names, not numbers. The
generated Python keeps the enums as classes of integer constants but not
which field has which enum type (an enum field reads as a plain Int8Flags):
FIELD_ENUMS states that, by field name, as schema.fbs declares it. The
script fails when FIELD_ENUMS names an enum the module lacks or a field no
table has, when a field it names is not an integer, when a field's default
is not a member of its enum, when an integer field whose name reads as an
enum (`*_type`, `*_format`, `mode`, `padding`, ...) has no entry, or when an
enum is used by no field and not listed in ENUMS_OUTSIDE_OPTIONS.

Which table an operator carries is not in the schema: it follows from the
names (RESIZE_BILINEAR -> ResizeBilinearOptions, compared without case or
underscores) except for the operators in OPTIONS_EXCEPTIONS. The script fails
when an exception is wrong or redundant, when two tables' names collide, or
when a table is carried by no operator (a new exception is due).
"""

import ast
import inspect
import json
import re
import sys
from importlib import metadata

import ai_edge_litert.schema_py_generated as schema

# Builtins whose options table their name does not give, as TFLite reads them
# (tensorflow/lite/core/api/flatbuffer_conversions.cc, ParseOpData*).
OPTIONS_EXCEPTIONS = {
    # The three 2-D pools share one table.
    "AVERAGE_POOL_2D": "Pool2DOptions",
    "MAX_POOL_2D": "Pool2DOptions",
    "L2_POOL_2D": "Pool2DOptions",
    # Elementwise max and min share one (empty) table.
    "MAXIMUM": "MaximumMinimumOptions",
    "MINIMUM": "MaximumMinimumOptions",
    # Every reduction reads ReducerOptions (keep_dims).
    "MEAN": "ReducerOptions",
    "SUM": "ReducerOptions",
    "REDUCE_PROD": "ReducerOptions",
    "REDUCE_MAX": "ReducerOptions",
    "REDUCE_MIN": "ReducerOptions",
    "REDUCE_ANY": "ReducerOptions",
    "REDUCE_ALL": "ReducerOptions",
    # Abbreviated or older table names.
    "L2_NORMALIZATION": "L2NormOptions",
    "UNIDIRECTIONAL_SEQUENCE_RNN": "SequenceRNNOptions",
    # The transposed 3-D convolution reads the 3-D convolution's table.
    "CONV_3D_TRANSPOSE": "Conv3DOptions",
    # The random ops share one table (seed, seed2).
    "RANDOM_STANDARD_NORMAL": "RandomOptions",
    "RANDOM_UNIFORM": "RandomOptions",
    "MULTINOMIAL": "RandomOptions",
}

# Option fields whose type is an enum, by field name (schema.fbs: `padding:Padding;`,
# `fused_activation_function:ActivationFunctionType;`, `out_type : TensorType;`, ...).
FIELD_ENUMS = {
    "padding": "Padding",
    "fused_activation_function": "ActivationFunctionType",
    "quantized_bias_type": "TensorType",
    "in_data_type": "TensorType",
    "out_data_type": "TensorType",
    "output_type": "TensorType",
    "out_type": "TensorType",
    "idx_out_type": "TensorType",
    "key_dtype": "TensorType",
    "value_dtype": "TensorType",
    "type": "LSHProjectionType",
    "weights_format": "FullyConnectedOptionsWeightsFormat",
    "kernel_type": "LSTMKernelType",
    "combiner": "CombinerType",
    "mode": "MirrorPadMode",
}

# Enums no BuiltinOptions field uses: tensors, operator codes, custom options, BuiltinOptions2's tables.
ENUMS_OUTSIDE_OPTIONS = {
    "TensorType",
    "BuiltinOperator",
    "CustomOptionsFormat",
    "DimensionType",
    "StablehloPrecisionConfig",
    "StablehloComparisonDirection",
    "StablehloComparisonType",
    "RngAlgorithm",
    "ReduceWindowFunction",
}

# Integer field names that read as enums but are plain numbers.
NOT_ENUMS = set()

ENUM_LIKE = re.compile(r"(^|_)(type|format|mode|padding|function|dtype|combiner)$")

# flatbuffers.number_types.*Flags -> onebit's field kind (tflite/schema.ts FieldKind).
NUMERIC_KINDS = {
    "Int8Flags": "i8",
    "Uint8Flags": "u8",
    "Int16Flags": "i16",
    "Uint16Flags": "u16",
    "Int32Flags": "i32",
    "Uint32Flags": "u32",
    "Int64Flags": "i64",
    "Uint64Flags": "u64",
    "Float32Flags": "f32",
    "Float64Flags": "f64",
}

OFFSET = re.compile(r"self\._tab\.Offset\((\d+)\)")
SCALAR_GET = re.compile(r"self\._tab\.Get\(flatbuffers\.number_types\.(\w+Flags), o \+ self\._tab\.Pos\)")
ELEMENT_GET = re.compile(r"self\._tab\.Get\(flatbuffers\.number_types\.(\w+Flags), a \+ ")


def fail(message):
    sys.exit(f"gen_tflite_schema: {message}")


def public_ints(cls):
    return {k: v for k, v in vars(cls).items() if not k.startswith("_") and isinstance(v, int)}


def snake(accessor):
    """flatc's accessor name back to the schema's field name (StrideW -> stride_w)."""
    name = re.sub(r"(?<!^)(?=[A-Z])", "_", accessor).lower()
    if "".join(p[:1].upper() + p[1:] for p in name.split("_")) != accessor:
        fail(f"accessor {accessor} does not map back from {name}")
    return name


def returned_literal(fn, where):
    last = fn.body[-1]
    if not isinstance(last, ast.Return) or last.value is None:
        fail(f"{where}: no default return")
    try:
        return ast.literal_eval(last.value)
    except ValueError:
        fail(f"{where}: default {ast.unparse(last.value)} is not a literal")


def table_fields(cls, lines, skipped):
    """Fields of one option table, by slot, from its accessor methods (`lines`: the module's source lines)."""
    fields = []
    unions = set()
    for fn in cls.body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        text = "\n".join(lines[fn.lineno - 1 : fn.end_lineno])
        m = OFFSET.search(text)
        if m is None:
            continue  # GetRootAs, Init, ...
        body = "\n".join(text.splitlines()[1:])
        # Helpers next to a vector accessor: *AsNumpy, *Length, *IsNone.
        if "GetVectorAsNumpy" in body or "VectorLen" in body or re.search(r"return o == 0\s*$", body):
            continue
        vt = int(m.group(1))
        if vt < 4 or vt % 2:
            fail(f"{cls.name}.{fn.name}: vtable offset {vt} is not a field slot")
        where = f"{cls.name}.{fn.name}"
        args = [a.arg for a in fn.args.args]
        field = {"name": snake(fn.name), "slot": (vt - 4) // 2}
        if args == ["self", "j"]:
            e = ELEMENT_GET.search(body)
            if e is None or "Indirect" in body:
                skipped.append((where, "vector of tables or strings"))
                continue
            if e.group(1) not in NUMERIC_KINDS:
                skipped.append((where, f"vector of {e.group(1)}"))
                continue
            field.update(kind=NUMERIC_KINDS[e.group(1)] + "[]", default=None)
        elif args != ["self"]:
            fail(f"{where}: unexpected accessor arguments {args}")
        elif "self._tab.Union(" in body:
            skipped.append((where, "union"))
            unions.add(field["name"])
            continue
        elif "Indirect" in body or "obj.Init" in body:
            skipped.append((where, "table or struct"))
            continue
        elif "self._tab.String(" in body:
            field.update(kind="string", default=None)
        else:
            s = SCALAR_GET.search(body)
            if s is None:
                fail(f"{where}: accessor shape not understood:\n{text}")
            flags = s.group(1)
            default = returned_literal(fn, where)
            if flags == "BoolFlags":
                if not isinstance(default, bool):
                    fail(f"{where}: bool field with default {default!r}")
                field.update(kind="bool", default=default)
            elif flags in NUMERIC_KINDS:
                kind = NUMERIC_KINDS[flags]
                if isinstance(default, bool) or not isinstance(default, (int, float)):
                    fail(f"{where}: numeric field with default {default!r}")
                if kind[0] in "iu" and not isinstance(default, int):
                    fail(f"{where}: integer field with default {default!r}")
                field.update(kind=kind, default=default)
            else:
                fail(f"{where}: scalar type {flags} not understood")
        fields.append(field)
    # A union's type field goes with the union it describes.
    fields = [f for f in fields if not (f["name"].endswith("_type") and f["name"][: -len("_type")] in unions)]
    fields.sort(key=lambda f: f["slot"])
    slots = [f["slot"] for f in fields]
    if len(set(slots)) != len(slots):
        fail(f"{cls.name}: two fields share a slot: {slots}")
    return fields


def builtin_options(ops, tables):
    """Builtin code -> options type id, by name and OPTIONS_EXCEPTIONS."""
    by_key = {}
    for name in tables:
        key = name.lower()
        if key in by_key:
            fail(f"option tables {by_key[key]} and {name} differ only in case")
        by_key[key] = name
    for op, table in OPTIONS_EXCEPTIONS.items():
        if op not in ops:
            fail(f"OPTIONS_EXCEPTIONS names {op}, which is not a BuiltinOperator")
        if table not in tables:
            fail(f"OPTIONS_EXCEPTIONS maps {op} to {table}, which is not a BuiltinOptions table")
        if by_key.get(op.replace("_", "").lower() + "options") is not None:
            fail(f"OPTIONS_EXCEPTIONS maps {op} to {table}, but its name gives a table already")
    mapping = {}
    for op, code in ops.items():
        table = OPTIONS_EXCEPTIONS.get(op) or by_key.get(op.replace("_", "").lower() + "options")
        if table is not None:
            mapping[code] = (op, table)
    unused = sorted(set(tables) - {t for _, t in mapping.values()})
    if unused:
        fail(f"no builtin carries {', '.join(unused)}: add them to OPTIONS_EXCEPTIONS")
    return mapping


def schema_enums(classes):
    """Enum name -> {member: value} for every enum of the module; unions (members named after tables) are left out."""
    enums = {}
    for name in classes:
        cls = getattr(schema, name, None)
        members = public_ints(cls) if isinstance(cls, type) else {}
        if not members or len(members) != len(vars(cls)) - len([k for k in vars(cls) if k.startswith("_")]):
            continue
        if any(m in classes for m in members if m != "NONE"):
            continue  # a union: BuiltinOptions, QuantizationDetails, ...
        enums[name] = members
    return enums


def attach_enums(fields, enums):
    """Adds `enum` to the enum-typed fields of every table (FIELD_ENUMS), checking it against the schema."""
    seen = set()
    for table, fs in fields.items():
        for f in fs:
            enum = FIELD_ENUMS.get(f["name"])
            integer = f["kind"] in NUMERIC_KINDS.values() and f["kind"][0] in "iu"
            if enum is None:
                if integer and ENUM_LIKE.search(f["name"]) and f["name"] not in NOT_ENUMS:
                    fail(f"{table}.{f['name']} reads as an enum: add it to FIELD_ENUMS or NOT_ENUMS")
                continue
            if enum not in enums:
                fail(f"FIELD_ENUMS maps {f['name']} to {enum}, which is not an enum of the schema")
            if not integer:
                fail(f"{table}.{f['name']} is {f['kind']}, not an integer: it cannot be the enum {enum}")
            if f["default"] not in enums[enum].values():
                fail(f"{table}.{f['name']}: default {f['default']} is not a member of {enum}")
            f["enum"] = enum
            seen.add(f["name"])
    for name in sorted(set(FIELD_ENUMS) - seen):
        fail(f"FIELD_ENUMS names {name}, which no option table has")
    used = {FIELD_ENUMS[n] for n in seen} | ENUMS_OUTSIDE_OPTIONS
    for name in sorted(set(enums) - used):
        fail(f"the enum {name} is used by no option field: add its fields to FIELD_ENUMS or it to ENUMS_OUTSIDE_OPTIONS")


def ts(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def main():
    source = inspect.getsource(schema)
    classes = {n.name: n for n in ast.parse(source).body if isinstance(n, ast.ClassDef)}
    lines = source.splitlines()
    ops = public_ints(schema.BuiltinOperator)
    if len(set(ops.values())) != len(ops):
        fail("two BuiltinOperator names share a code")
    names = [None] * (max(ops.values()) + 1)
    for op, code in ops.items():
        names[code] = op
    tables = {k: v for k, v in public_ints(schema.BuiltinOptions).items() if k != "NONE"}
    skipped = []
    fields = {}
    for name in tables:
        if name not in classes:
            fail(f"BuiltinOptions member {name} has no table class")
        fields[name] = table_fields(classes[name], lines, skipped)
    mapping = builtin_options(ops, tables)
    enums = schema_enums(classes)
    attach_enums(fields, enums)

    version = metadata.version("ai-edge-litert")
    out = [
        f"// GENERATED from ai_edge_litert {version}'s schema_py_generated.py by tools/py/gen_tflite_schema.py: do not edit.",
        "// deno-fmt-ignore-file",
        "/**",
        " * The TFLite schema's operator codes, its enums, the tables of its",
        " * `BuiltinOptions` union and the table each builtin operator carries. tflite/schema.ts",
        " * builds its exports from these. Regenerate: deno task gen:schema",
        " * @module",
        " */",
        'import type { OptionTable } from "./schema.ts";',
        "",
        "/** The LiteRT release the schema was taken from. */",
        f"export const SCHEMA_SOURCE = {ts('ai_edge_litert ' + version)};",
        "",
        "/** `BuiltinOperator` names; the index is the operator code (null: no operator has the code). */",
        "export const BUILTIN_NAMES = [",
    ]
    out += [f"  {ts(n)}, // {code}" for code, n in enumerate(names)]
    out += [
        "] as const;",
        "",
        "/** The schema's enums (but `BuiltinOperator`, which is {@link BUILTIN_NAMES}): member name -> value. */",
        "export const ENUMS = {",
    ]
    for name, members in sorted(enums.items()):
        if name == "BuiltinOperator":
            continue
        body = ", ".join(f"{k}: {v}" for k, v in sorted(members.items(), key=lambda kv: kv[1]))
        out.append(f"  {name}: {{ {body} }},")
    out += [
        "} as const;",
        "",
        "/** Every table of the `BuiltinOptions` union, by union type id. */",
        "export const OPTION_TABLES: readonly OptionTable[] = [",
    ]
    for name, type_id in sorted(tables.items(), key=lambda kv: kv[1]):
        if not fields[name]:
            out.append(f"  {{ typeId: {type_id}, name: {ts(name)}, fields: [] }},")
            continue
        out.append(f"  {{ typeId: {type_id}, name: {ts(name)}, fields: [")
        for f in fields[name]:
            enum = f", enum: {ts(f['enum'])}" if "enum" in f else ""
            out.append(
                f"    {{ name: {ts(f['name'])}, slot: {f['slot']}, kind: {ts(f['kind'])}, default: {ts(f['default'])}{enum} }},"
            )
        out.append("  ] },")
    out += [
        "];",
        "",
        "/** [builtin operator code, `BuiltinOptions` type id] for every builtin that carries an options table. */",
        "export const BUILTIN_OPTIONS: readonly (readonly [number, number])[] = [",
    ]
    out += [f"  [{code}, {tables[t]}], // {op}: {t}" for code, (op, t) in sorted(mapping.items())]
    out += ["];", ""]
    sys.stdout.write("\n".join(out))

    n_fields = sum(len(f) for f in fields.values())
    print(
        f"gen_tflite_schema: {len(ops)} builtins, {len(tables)} option tables, {n_fields} fields, "
        f"{len(mapping)} builtins with options, {len(enums)} enums; {len(skipped)} fields skipped",
        file=sys.stderr,
    )
    for where, why in skipped:
        print(f"  skipped {where}: {why}", file=sys.stderr)


if __name__ == "__main__":
    main()
