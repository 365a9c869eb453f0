"""A small Go text/template engine for docker's `--format` / `-f` (and helm/kubectl go-template).

Supports text, {{.A.B}}, {{$}}, variables in range ({{range $k, $v := .M}}), pipelines with
`|`, range/if/else/with/end, trim markers {{- -}}, and docker's functions (json, join, split,
lower, upper, title, pad, truncate, println) plus Go's index, len, printf, print, eq, ne, not,
and, or. Values print like Go's %v: maps as map[k:v], structs as {a b}, lists as [a b].

Data is JSON-like Python; a dict is printed as a Go struct unless it is a GoMap.
"""

import json
import re


class GoMap(dict):
    """A dict that is a Go map (printed `map[k:v]`, JSON keys sorted)."""


class GoStruct(dict):
    """A dict that is a Go struct whose `omitempty` fields vanish from JSON when empty."""

    def __init__(self, *args, omitempty=(), **kw):
        super().__init__(*args, **kw)
        self.omitempty = set(omitempty)


class Missing:
    """A missing map key: prints `<no value>`, JSON-encodes as null."""

    def __bool__(self):
        return False


MISSING = Missing()


class TemplateError(Exception):
    pass


def go_str(v):
    if v is MISSING:
        return "<no value>"
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v) if v != int(v) else str(int(v))
    if isinstance(v, GoMap):
        return "map[" + " ".join(f"{k}:{go_str(v[k])}" for k in sorted(v)) + "]"
    if isinstance(v, dict):
        return "{" + " ".join(go_str(x) for x in v.values()) + "}"
    if isinstance(v, list):
        return "[" + " ".join(go_str(x) for x in v) + "]"
    return str(v)


def to_plain(v):
    """Plain JSON-able data (maps sorted, empty omitempty fields dropped)."""
    return _to_plain(v)


def _to_plain(v):
    if v is MISSING:
        return None
    if isinstance(v, GoMap):
        return {k: _to_plain(v[k]) for k in sorted(v)}
    if isinstance(v, GoStruct):
        return {k: _to_plain(x) for k, x in v.items() if not (k in v.omitempty and not x)}
    if isinstance(v, dict):
        return {k: _to_plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_to_plain(x) for x in v]
    return v


def to_json(v):
    return json.dumps(_to_plain(v), separators=(",", ":"), ensure_ascii=False)


def truthy(v):
    if v is MISSING or v is None:
        return False
    if isinstance(v, (dict, list, str)):
        return len(v) > 0
    return bool(v)


def _printf(fmt, *args):
    out, i = "", 0
    parts = re.split(r"(%[-+# 0]*\d*(?:\.\d+)?[svdqtxf%])", fmt)
    for p in parts:
        if re.fullmatch(r"%[-+# 0]*\d*(?:\.\d+)?[svdqtxf%]", p):
            if p == "%%":
                out += "%"
                continue
            a = args[i] if i < len(args) else MISSING
            i += 1
            conv = p[-1]
            if conv == "q":
                out += json.dumps(go_str(a))
            elif conv == "d":
                out += (p[:-1] + "d") % int(a)
            elif conv == "f":
                out += p % float(a)
            else:
                width = p[1:-1]
                out += ("%" + width + "s") % go_str(a)
        else:
            out += p
    return out


FUNCS = {
    "json": to_json,
    "join": lambda lst, sep: sep.join(go_str(x) for x in (lst or [])),
    "split": lambda s, sep: str(s).split(sep),
    "lower": lambda s: go_str(s).lower(),
    "upper": lambda s: go_str(s).upper(),
    "title": lambda s: go_str(s).title(),
    "pad": lambda s, a, b: " " * int(a) + go_str(s) + " " * int(b),
    "truncate": lambda s, n: go_str(s)[: int(n)],
    "println": lambda *a: " ".join(go_str(x) for x in a) + "\n",
    "print": lambda *a: "".join(go_str(x) for x in a),
    "printf": _printf,
    "len": lambda v: len(v) if v not in (None, MISSING) else 0,
    "eq": lambda a, *bs: any(a == b for b in bs),
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "not": lambda a: not truthy(a),
    "and": lambda *a: next((x for x in a if not truthy(x)), a[-1]),
    "or": lambda *a: next((x for x in a if truthy(x)), a[-1]),
}


def _index(v, *keys):
    for k in keys:
        if isinstance(v, dict):
            v = v.get(k, MISSING)
        elif isinstance(v, list):
            v = v[int(k)]
        else:
            raise TemplateError(f"can't index item of type {type(v).__name__}")
    return v


FUNCS["index"] = _index


# ---------------------------------------------------------------- parsing

_ACTION = re.compile(r"\{\{(-?)(.*?)(-?)\}\}", re.S)


def parse(text):
    """Template text → node tree. Raises TemplateError like Go's parser (roughly)."""
    if text.count("{{") != text.count("}}"):
        raise TemplateError("template: :1: unclosed action")
    tokens = []
    pos = 0
    for m in _ACTION.finditer(text):
        lit = text[pos:m.start()]
        if m.group(1):
            lit = lit.rstrip()
        if tokens and tokens[-1][0] == "trim_next":
            tokens.pop()
            lit = lit.lstrip()
        if lit:
            tokens.append(("text", lit))
        tokens.append(("action", m.group(2).strip()))
        if m.group(3):
            tokens.append(("trim_next", None))
        pos = m.end()
    lit = text[pos:]
    if tokens and tokens[-1][0] == "trim_next":
        tokens.pop()
        lit = lit.lstrip()
    if lit:
        tokens.append(("text", lit))
    tree, rest = _parse_list(tokens, 0, top=True)
    return tree


def _parse_list(tokens, i, top=False):
    nodes = []
    while i < len(tokens):
        kind, val = tokens[i]
        if kind == "text":
            nodes.append(("text", val))
            i += 1
            continue
        word = val.split(None, 1)[0] if val else ""
        if word in ("end", "else"):
            if top:
                raise TemplateError(f"template: :1: unexpected {{{{{word}}}}}")
            return nodes, i
        if word in ("range", "if", "with"):
            expr = val[len(word):].strip()
            body, i = _parse_list(tokens, i + 1)
            else_body = []
            if i < len(tokens) and tokens[i][1].split(None, 1)[0] == "else":
                else_body, i = _parse_list(tokens, i + 1)
            if i >= len(tokens) or tokens[i][1] != "end":
                raise TemplateError("template: :1: unexpected EOF")
            nodes.append((word, expr, body, else_body))
            i += 1
            continue
        if val.startswith("/*"):
            i += 1
            continue
        nodes.append(("expr", val))
        i += 1
    if not top:
        raise TemplateError("template: :1: unexpected EOF")
    return nodes, i


def _words(cmd):
    return re.findall(r'"(?:[^"\\]|\\.)*"|`[^`]*`|\([^)]*\)|[^\s]+', cmd)


def _eval_word(w, dot, vars_):
    if w.startswith('"'):
        return json.loads(w)
    if w.startswith("`"):
        return w[1:-1]
    if w.startswith("("):
        return _eval_pipeline(w[1:-1], dot, vars_)
    if re.fullmatch(r"-?\d+", w):
        return int(w)
    if re.fullmatch(r"-?\d+\.\d+", w):
        return float(w)
    if w in ("true", "false"):
        return w == "true"
    if w == "nil":
        return None
    if w.startswith("$"):
        name, _, path = w.partition(".")
        if name not in vars_:
            raise TemplateError(f'template: :1: undefined variable "{name}"')
        return _field(vars_[name], path)
    if w == ".":
        return dot
    if w.startswith("."):
        return _field(dot, w[1:])
    raise TemplateError(f'template: :1: function "{w}" not defined')


def _field(v, path):
    for part in [p for p in path.split(".") if p]:
        if isinstance(v, dict):
            v = v.get(part, MISSING)
        elif v is MISSING or v is None:
            return MISSING if v is MISSING else None
        else:
            raise TemplateError(f"template: :1: can't evaluate field {part} in type {type(v).__name__}")
    return v


def _eval_command(cmd, dot, vars_, piped=None):
    words = _words(cmd)
    if not words:
        raise TemplateError("template: :1: missing value for command")
    head = words[0]
    if head in FUNCS:
        args = [_eval_word(w, dot, vars_) for w in words[1:]]
        if piped is not None:
            args.append(piped[0])
        return FUNCS[head](*args)
    val = _eval_word(head, dot, vars_)
    if callable(val):
        args = [_eval_word(w, dot, vars_) for w in words[1:]]
        if piped is not None:
            args.append(piped[0])
        return val(*args)
    if len(words) > 1 or piped is not None:
        raise TemplateError(f"template: :1: can't give argument to non-function {head}")
    return val


def _eval_pipeline(expr, dot, vars_):
    stages = []
    depth, cur, inq = 0, "", False
    for ch in expr:
        if ch == '"' and not cur.endswith("\\"):
            inq = not inq
        if not inq:
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
        if ch == "|" and depth == 0 and not inq:
            stages.append(cur)
            cur = ""
        else:
            cur += ch
    stages.append(cur)
    val = None
    for k, stage in enumerate(stages):
        val = _eval_command(stage.strip(), dot, vars_, None if k == 0 else (val,))
    return val


def _exec(nodes, dot, vars_, out):
    for node in nodes:
        kind = node[0]
        if kind == "text":
            out.append(node[1])
        elif kind == "expr":
            expr = node[1]
            m = re.fullmatch(r"(\$\w*)\s*:?=\s*(.*)", expr)
            if m:
                vars_[m.group(1)] = _eval_pipeline(m.group(2), dot, vars_)
                continue
            out.append(go_str(_eval_pipeline(expr, dot, vars_)))
        elif kind == "if":
            if truthy(_eval_pipeline(node[1], dot, vars_)):
                _exec(node[2], dot, vars_, out)
            else:
                _exec(node[3], dot, vars_, out)
        elif kind == "with":
            v = _eval_pipeline(node[1], dot, vars_)
            if truthy(v):
                _exec(node[2], v, vars_, out)
            else:
                _exec(node[3], dot, vars_, out)
        elif kind == "range":
            expr = node[1]
            kvar = vvar = None
            m = re.fullmatch(r"(\$\w+)\s*(?:,\s*(\$\w+))?\s*:=\s*(.*)", expr)
            if m:
                if m.group(2):
                    kvar, vvar = m.group(1), m.group(2)
                else:
                    vvar = m.group(1)
                expr = m.group(3)
            coll = _eval_pipeline(expr, dot, vars_)
            if isinstance(coll, dict):
                items = [(k, coll[k]) for k in (sorted(coll) if isinstance(coll, GoMap) else coll)]
            elif isinstance(coll, list):
                items = list(enumerate(coll))
            elif coll in (None, MISSING):
                items = []
            else:
                raise TemplateError(f"template: :1: range can't iterate over {go_str(coll)}")
            if not items:
                _exec(node[3], dot, vars_, out)
            for k, v in items:
                inner = dict(vars_)
                if kvar:
                    inner[kvar] = k
                if vvar:
                    inner[vvar] = v
                _exec(node[2], v, inner, out)


def render(template_text, data):
    """Execute `template_text` on `data`; raises TemplateError."""
    tree = parse(template_text)
    out = []
    try:
        _exec(tree, data, {"$": data}, out)
    except TemplateError:
        raise
    except (TypeError, ValueError, IndexError, KeyError) as e:
        raise TemplateError(f"template: :1: error calling function: {e}")
    return "".join(out)
