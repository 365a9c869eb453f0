"""kubectl's JSONPath templates (k8s.io/client-go/util/jsonpath) for `-o jsonpath=…`.

Supports literal text, {.a.b}, {['a.b']}, escaped dots (labels.topology\\.kubernetes\\.io/zone),
[n], [-1], [a:b], [*], ..name, [?(@.k=="v")] and [?(@.k)], {range …}{end}, and quoted literals
such as {"\\t"}. Missing keys print nothing (kubectl get runs with allowMissingKeys). Several
results print space-separated; maps and lists print as JSON.
"""

import json
import re


class JSONPathError(Exception):
    pass


def _split_template(text):
    """Template → list of ('text', s) / ('expr', s)."""
    out, i, buf = [], 0, ""
    while i < len(text):
        ch = text[i]
        if ch == "{":
            if buf:
                out.append(("text", buf))
                buf = ""
            depth, j, inq = 1, i + 1, None
            while j < len(text) and depth:
                c = text[j]
                if inq:
                    if c == "\\":
                        j += 1
                    elif c == inq:
                        inq = None
                elif c in "\"'":
                    inq = c
                elif c == "{":
                    depth += 1
                elif c == "}":
                    depth -= 1
                j += 1
            if depth:
                raise JSONPathError(f"unclosed action")
            out.append(("expr", text[i + 1:j - 1].strip()))
            i = j
            continue
        buf += ch
        i += 1
    if buf:
        out.append(("text", buf))
    return out


def _unquote(lit):
    if lit.startswith('"'):
        return json.loads(lit)
    return lit[1:-1]


def _tokens(expr):
    """Path expression → list of steps."""
    steps = []
    i = 0
    if expr.startswith("$"):
        i = 1
    while i < len(expr):
        c = expr[i]
        if expr.startswith("..", i):
            j = i + 2
            name = ""
            while j < len(expr) and expr[j] not in ".[":
                name += expr[j]
                j += 1
            steps.append(("recursive", name))
            i = j
        elif c == ".":
            j = i + 1
            name = ""
            while j < len(expr) and expr[j] not in "[":
                if expr[j] == "\\" and j + 1 < len(expr):
                    name += expr[j + 1]
                    j += 2
                    continue
                if expr[j] == ".":
                    break
                name += expr[j]
                j += 1
            if name:
                steps.append(("field", name))
            i = j
        elif c == "[":
            depth, j, inq = 1, i + 1, None
            while j < len(expr) and depth:
                ch = expr[j]
                if inq:
                    if ch == inq:
                        inq = None
                elif ch in "\"'":
                    inq = ch
                elif ch == "[":
                    depth += 1
                elif ch == "]":
                    depth -= 1
                j += 1
            inner = expr[i + 1:j - 1].strip()
            i = j
            if inner == "*":
                steps.append(("all", None))
            elif inner.startswith("?"):
                steps.append(("filter", inner[1:].strip().strip("()")))
            elif inner[:1] in "\"'":
                for part in re.findall(r"'[^']*'|\"[^\"]*\"", inner):
                    steps.append(("field", _unquote(part)))
            elif ":" in inner:
                a, _, b = inner.partition(":")
                steps.append(("slice", (int(a) if a.strip() else None, int(b.split(":")[0]) if b.split(":")[0].strip() else None)))
            elif re.fullmatch(r"-?\d+", inner):
                steps.append(("index", int(inner)))
            else:
                raise JSONPathError(f"invalid array index {inner}")
        elif c.isspace():
            i += 1
        else:
            j = i
            name = ""
            while j < len(expr) and expr[j] not in ".[":
                name += expr[j]
                j += 1
            steps.append(("field", name))
            i = j
    return steps


def _walk(values, steps):
    for kind, arg in steps:
        nxt = []
        for v in values:
            if kind == "field":
                if isinstance(v, dict) and arg in v:
                    nxt.append(v[arg])
            elif kind == "all":
                if isinstance(v, list):
                    nxt.extend(v)
                elif isinstance(v, dict):
                    nxt.extend(v.values())
            elif kind == "index":
                if isinstance(v, list) and -len(v) <= arg < len(v):
                    nxt.append(v[arg])
            elif kind == "slice":
                if isinstance(v, list):
                    nxt.extend(v[arg[0]:arg[1]])
            elif kind == "recursive":
                nxt.extend(_recurse(v, arg))
            elif kind == "filter":
                items = v if isinstance(v, list) else [v]
                nxt.extend(x for x in items if _filter(x, arg))
        values = nxt
    return values


def _recurse(v, name):
    out = []
    if isinstance(v, dict):
        if name in v:
            out.append(v[name])
        for x in v.values():
            out.extend(_recurse(x, name))
    elif isinstance(v, list):
        for x in v:
            out.extend(_recurse(x, name))
    return out


def _literal(text):
    text = text.strip()
    if text[:1] in "\"'":
        return _unquote(text)
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return float(text) if "." in text else int(text)
    if text in ("true", "false"):
        return text == "true"
    return text


def _filter(item, cond):
    m = re.fullmatch(r"\s*(@[^\s=!<>]*)\s*(==|!=|<=|>=|<|>)\s*(.+?)\s*", cond)
    if not m:
        path = cond.strip()
        if not path.startswith("@"):
            raise JSONPathError(f"unrecognized filter {cond}")
        return bool(_walk([item], _tokens(path[1:])))
    left = _walk([item], _tokens(m.group(1)[1:]))
    if not left:
        return False
    lv, rv, op = left[0], _literal(m.group(3)), m.group(2)
    try:
        return {"==": lv == rv, "!=": lv != rv, "<": lv < rv, ">": lv > rv, "<=": lv <= rv, ">=": lv >= rv}[op]
    except TypeError:
        return False


def _fmt(v):
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return ""
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"), sort_keys=True)
    return str(v)


def render(template, data):
    """Execute a kubectl JSONPath template on `data`."""
    parts = _split_template(template)
    out = []
    _run(parts, 0, [data], out)
    return "".join(out)


def _run(parts, i, ctx, out, stop_at_end=False):
    while i < len(parts):
        kind, val = parts[i]
        if kind == "text":
            for _ in ctx[:1]:
                out.append(val)
            i += 1
            continue
        if val == "end":
            if stop_at_end:
                return i
            raise JSONPathError("not in range, nothing to end")
        if val.startswith("range "):
            items = _eval(val[len("range "):], ctx)
            start = i + 1
            end = None
            if not items:
                end = _skip_range(parts, start)
            for item in items:
                end = _run(parts, start, [item], out, stop_at_end=True)
            i = (end if end is not None else _skip_range(parts, start)) + 1
            continue
        if val[:1] in "\"'":
            out.append(_unquote(val))
        else:
            out.append(" ".join(_fmt(v) for v in _eval(val, ctx)))
        i += 1
    if stop_at_end:
        raise JSONPathError("range without end")
    return i


def _skip_range(parts, i):
    depth = 1
    while i < len(parts):
        kind, val = parts[i]
        if kind == "expr" and val.startswith("range "):
            depth += 1
        elif kind == "expr" and val == "end":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise JSONPathError("range without end")


def _eval(expr, ctx):
    expr = expr.strip()
    if expr in ("", "@", "$", "."):
        return list(ctx)
    if expr.startswith("@"):
        expr = expr[1:]
    return _walk(list(ctx), _tokens(expr))
