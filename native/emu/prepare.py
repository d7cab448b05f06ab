#!/usr/bin/env python3
"""prepare.py PROJECT_ROOT WORK_DIR  (native/emu: the project's CPU emulator of its CUDA kernels)

Copies PROJECT_ROOT/cuda and PROJECT_ROOT/native to WORK_DIR/src/{cuda,native} for the CPU emulator:
  * every inline PTX `asm` statement in cuda/ becomes a call into the emulator (table PTX below); an asm
    statement that no rule recognises is an error naming the file, the line and the asm text;
  * every `__shared__` declaration in cuda/ registers its variable with the emulator, which poisons it
    (all bits set: NaN for floats) at the start of every block and maps it into a shared-memory window;
  * WORK_DIR/kernels_emu.cpp is generated: all cuda/*.cu in one translation unit (as the project's own
    build does) plus a table of every `extern "C" __global__` entry point.
Files are only rewritten when their content changes, so make rebuilds only what changed.
"""
import os
import re
import shutil
import sys

CODE_EXT = (".cu", ".cuh", ".h", ".hpp", ".cpp", ".cc", ".inc")


class Fail(Exception):
    pass


# ---------------------------------------------------------------------------------------------------------
# Lexing: a copy of the text with comments blanked (strings kept) and one with string contents blanked too.
# Both keep every offset and newline, so positions found in one apply to the original.
# ---------------------------------------------------------------------------------------------------------
def mask(text):
    nocom, code = list(text), list(text)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            for k in range(i, j):
                nocom[k] = code[k] = " "
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            for k in range(i, j):
                if text[k] != "\n":
                    nocom[k] = code[k] = " "
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            for k in range(i + 1, min(j, n)):
                code[k] = " "
            i = j + 1
        else:
            i += 1
    return "".join(nocom), "".join(code)


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def match_paren(code, open_pos):
    depth = 0
    for i in range(open_pos, len(code)):
        if code[i] in "([{":
            depth += 1
        elif code[i] in ")]}":
            depth -= 1
            if depth == 0:
                return i
    raise Fail("unbalanced parenthesis")


def split_top(text, code, sep):
    """Splits text at top-level occurrences of sep (a single character), using the blanked copy."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(code):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == sep and depth == 0:
            parts.append((text[start:i], code[start:i]))
            start = i + 1
    parts.append((text[start:], code[start:]))
    return parts


# ---------------------------------------------------------------------------------------------------------
# Inline PTX. Each rule: a regex over one instruction (whitespace collapsed, no trailing ';'), with operands
# written %N, %[name] or an immediate, and a function building the C++ replacement from the operands' C++
# expressions. Anything else fails the build: add a rule here and the matching function in emu.cpp.
# ---------------------------------------------------------------------------------------------------------
OP = r"(%\[\w+\]|%\d+|-?\d+)"


def reg_list(n):
    return r"\{\s*" + r"\s*,\s*".join([OP] * n) + r"\s*\}"


def cp_async(m, ops):
    size = ops(m.group(4))
    src_bytes = ops(m.group(5)) if m.group(5) else size
    return "emu::cp_async(emu::shared_ptr(%s), emu::global_ptr(%s), %s, %s)" % (
        ops(m.group(2)), ops(m.group(3)), size, src_bytes)


def mma_tf32(m, ops):
    d, a, b, c = m.groups()[0:4], m.groups()[4:8], m.groups()[8:10], m.groups()[10:14]
    return ("do { const float emu_c_[4] = {%s}; const unsigned emu_a_[4] = {%s}; const unsigned emu_b_[2] = {%s}; "
            "float emu_d_[4]; emu::mma_m16n8k8_tf32(emu_d_, emu_a_, emu_b_, emu_c_); %s } while (0)") % (
        ", ".join("static_cast<float>(%s)" % ops(x) for x in c),
        ", ".join("static_cast<unsigned>(%s)" % ops(x) for x in a),
        ", ".join("static_cast<unsigned>(%s)" % ops(x) for x in b),
        " ".join("%s = emu_d_[%d];" % (ops(x), i) for i, x in enumerate(d)))


PTX = [
    (r"cp\.async\.(ca|cg)\.shared(?:::cta)?\.global(?:\.L2::(?:64|128|256)B)? \[" + OP + r"\], \[" + OP + r"\], "
     + OP + r"(?:, " + OP + r")?", cp_async),
    (r"cp\.async\.commit_group", lambda m, ops: "emu::cp_commit()"),
    (r"cp\.async\.wait_group " + OP, lambda m, ops: "emu::cp_wait(%s)" % ops(m.group(1))),
    (r"cp\.async\.wait_all", lambda m, ops: "emu::cp_wait_all()"),
    (r"cvt\.rna\.tf32\.f32 " + OP + ", " + OP,
     lambda m, ops: "(%s = emu::cvt_rna_tf32(%s))" % (ops(m.group(1)), ops(m.group(2)))),
    (r"mma\.sync\.aligned\.m16n8k8\.row\.col\.f32\.tf32\.tf32\.f32 " + ", ".join(
        [reg_list(4), reg_list(4), reg_list(2), reg_list(4)]), mma_tf32),
    (r'\.pragma "[^"]*"', lambda m, ops: "((void)0)"),  # compiler hints (e.g. "nounroll") have no semantics
]


def c_unescape(s):
    return re.sub(r'\\(["\\nt])', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), s)


def rewrite_asm(text, nocom, code, where):
    """Returns (text, count) with every asm statement replaced."""
    out, last, count = [], 0, 0
    for m in re.finditer(r"\b(asm|__asm__|__asm)\b((?:\s*\b(?:volatile|__volatile__|inline|goto)\b)*)\s*\(", code):
        start, open_pos = m.start(), m.end() - 1
        close = match_paren(code, open_pos)
        original = text[start:close + 1]
        lineno = line_of(text, start)

        def fail(why):
            raise Fail("%s:%d: %s in inline asm (the emulator has no rule for it):\n    %s\n"
                       "  Teach %s: a pattern in its PTX table and an emu:: function in emu.cpp." % (
                           where, lineno, why, " ".join(original.split()), os.path.basename(__file__)))

        sections = split_top(text[open_pos + 1:close], code[open_pos + 1:close], ":")
        tmpl_text, tmpl_code = sections[0]
        if tmpl_code.replace('"', "").strip():
            fail("a template that is not a plain string literal")
        template = "".join(c_unescape(s) for s in re.findall(r'"((?:\\.|[^"\\])*)"', tmpl_text))
        operands = []
        for sec in sections[1:3]:
            if not sec[1].strip():
                continue
            for op_text, _ in split_top(sec[0], sec[1], ","):
                om = re.fullmatch(r'\s*(?:\[\s*(\w+)\s*\])?\s*"([^"]*)"\s*\((.*)\)\s*', op_text, re.S)
                if not om:
                    fail("operand %r not understood" % op_text.strip())
                operands.append((om.group(1), om.group(2), " ".join(om.group(3).split())))

        def ops(token):
            if re.fullmatch(r"-?\d+", token):
                return token
            if token.startswith("%["):
                names = [o[0] for o in operands]
                if token[2:-1] not in names:
                    fail("unknown operand " + token)
                return "(" + operands[names.index(token[2:-1])][2] + ")"
            k = int(token[1:])
            if k >= len(operands):
                fail("operand %s out of range" % token)
            return "(" + operands[k][2] + ")"

        stmts = []
        for insn in template.split(";"):
            insn = " ".join(insn.split())
            insn = re.sub(r"\s*,\s*", ", ", insn)
            if not insn:
                continue
            for pattern, build in PTX:
                pm = re.fullmatch(pattern, insn)
                if pm:
                    try:
                        stmts.append(build(pm, ops))
                    except Fail as e:
                        fail(str(e))
                    break
            else:
                fail("PTX instruction %r" % insn)
        if not stmts:
            fail("an empty template")
        repl = stmts[0] if len(stmts) == 1 else "do { %s; } while (0)" % "; ".join(stmts)
        # Keep the line count (and line continuations inside macros) so compiler messages point at the source.
        nl = original.count("\n")
        repl += (" \\\n" if "\\\n" in original else "\n") * nl
        out.append(text[last:start])
        out.append(repl)
        last = close + 1
        count += 1
    out.append(text[last:])
    return "".join(out), count


# ---------------------------------------------------------------------------------------------------------
# __shared__ declarations: `__shared__ T x[..];` -> `static T x[..]; emu::SharedDecl emu_shared_x(&x, sizeof x);`
# ---------------------------------------------------------------------------------------------------------
def rewrite_shared(text, nocom, code, where):
    out, last, count = [], 0, 0
    for m in re.finditer(r"\b(?:static\s+)?__shared__\b", code):
        lineno = line_of(text, m.start())
        if re.search(r"\bextern\s*$", code[:m.start()]) or re.search(r"#\s*define\b[^\n]*$", code[:m.start()]):
            raise Fail("%s:%d: dynamic (extern) __shared__ memory or __shared__ inside a macro is not emulated"
                       % (where, lineno))
        end = code.find(";", m.end())
        decl_text, decl_code = text[m.end():end], code[m.end():end]
        if "=" in decl_code:
            raise Fail("%s:%d: __shared__ variable with an initializer" % (where, lineno))
        names = []
        for part, part_code in split_top(decl_text, decl_code, ","):
            head = re.sub(r"\[[^\]]*\]", "", part_code)  # drop array extents
            nm = re.search(r"(\w+)\s*$", head)
            if not nm:
                raise Fail("%s:%d: __shared__ declaration not understood: %s" % (where, lineno, part.strip()))
            names.append(nm.group(1))
        regs = " ".join("emu::SharedDecl emu_shared_%s(&%s, sizeof(%s));" % (n, n, n) for n in names)
        out.append(text[last:m.start()])
        out.append("static" + decl_text + "; " + regs)
        last = end + 1
        count += len(names)
    out.append(text[last:])
    return "".join(out), count


# ---------------------------------------------------------------------------------------------------------
# Entry points: every `extern "C" __global__` function (directly or inside an `extern "C" { }` block), with
# its namespace and its __launch_bounds__ maximum.
# ---------------------------------------------------------------------------------------------------------
SKIP_CALLS = {"__launch_bounds__", "__attribute__", "__align__", "alignas", "__declspec", "__maxnreg__",
              "__cluster_dims__"}


def scopes_at(nocom, code):
    """For every '{' offset: ('namespace', name) | ('externC', '') | ('other', '')."""
    labels, stmt_start = {}, 0
    for i, c in enumerate(code):
        if c in ";}":
            stmt_start = i + 1
        elif c == "{":
            head = nocom[stmt_start:i]
            head = re.sub(r"^\s*#.*$", "", head, flags=re.M)
            nm = re.search(r"\bnamespace\s*([\w:]*)\s*$", head)
            if nm:
                labels[i] = ("namespace", nm.group(1))
            elif re.search(r'\bextern\s*"C"\s*$', head):
                labels[i] = ("externC", "")
            else:
                labels[i] = ("other", "")
            stmt_start = i + 1
    return labels


def blank_preprocessor(code):
    """code with preprocessor lines (and their continuations) blanked."""
    out, cont = [], False
    for line in code.split("\n"):
        pp = cont or line.lstrip().startswith("#")
        cont = pp and line.endswith("\\")
        out.append(" " * len(line) if pp else line)
    return "\n".join(out)


def find_entries(text, nocom, code, where):
    labels = scopes_at(nocom, code)
    plain, plain_nocom = blank_preprocessor(code), blank_preprocessor(nocom)
    call = re.compile(r"(\w+)\s*\(")
    entries, skipped = [], []
    for m in re.finditer(r"\b__global__\b", code):
        lineno = line_of(text, m.start())
        line_start = code.rfind("\n", 0, m.start()) + 1
        while line_start > 0 and code[line_start - 2] == "\\":  # continuation lines of a macro
            line_start = code.rfind("\n", 0, line_start - 1) + 1
        if code[line_start:m.start()].lstrip().startswith("#"):
            if re.match(r"\s*#\s*define\s+__global__\b", code[line_start:]):
                continue
            raise Fail("%s:%d: a __global__ function defined by a macro; the kernel table cannot name it"
                       % (where, lineno))
        # The enclosing scopes.
        stack = []
        for i in range(m.start()):
            if code[i] == "{":
                stack.append(labels[i])
            elif code[i] == "}" and stack:
                stack.pop()
        if any(kind == "other" for kind, _ in stack):
            continue  # inside a function or class body: not a definition we can name
        stmt_start = max(plain.rfind(";", 0, m.start()), plain.rfind("}", 0, m.start()),
                         plain.rfind("{", 0, m.start())) + 1
        # The name: the first identifier followed by '(' that is not an attribute.
        pos, name, bounds = stmt_start, None, None
        while True:
            im = call.search(plain, pos)
            if not im:
                break
            if im.group(1) in SKIP_CALLS:
                close = match_paren(code, im.end() - 1)
                if im.group(1) == "__launch_bounds__":
                    bounds = split_top(text[im.end():close], code[im.end():close], ",")[0][0].strip()
                pos = close + 1
                continue
            name = im.group(1)
            break
        head = plain_nocom[stmt_start:im.start() if im else len(code)]
        if not name or "##" in head:
            raise Fail("%s:%d: cannot read the name of this __global__ function" % (where, lineno))
        if re.search(r"\btemplate\b", head) or not (re.search(r'\bextern\s*"C"', head)
                                                   or any(kind == "externC" for kind, _ in stack)):
            skipped.append(name)
            continue
        ns = "::".join(n for kind, n in stack if kind == "namespace" and n)
        entries.append((name, ns, bounds, where, lineno))
    return entries, skipped


# ---------------------------------------------------------------------------------------------------------
def write_if_changed(path, content):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == content:
                return
    except (OSError, UnicodeDecodeError):
        pass
    with open(path, "w", encoding="utf-8") as f:
        f.write(content)


def sync_tree(src, dst, transform):
    """Copies src to dst, transforming code files; removes files of dst that src no longer has."""
    seen = set()
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = [d for d in dirnames if d not in ("build", ".git", "emu")]  # native/emu is this tool
        for fn in filenames:
            s = os.path.join(dirpath, fn)
            rel = os.path.relpath(s, src)
            d = os.path.join(dst, rel)
            seen.add(rel)
            if fn.endswith(CODE_EXT):
                with open(s, encoding="utf-8") as f:
                    write_if_changed(d, transform(f.read(), rel))
            elif not os.path.exists(d) or open(s, "rb").read() != open(d, "rb").read():
                os.makedirs(os.path.dirname(d), exist_ok=True)
                shutil.copy2(s, d)
    if os.path.isdir(dst):
        for dirpath, _, filenames in os.walk(dst):
            for fn in filenames:
                p = os.path.join(dirpath, fn)
                if os.path.relpath(p, dst) not in seen:
                    os.remove(p)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    root, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    for sub in ("cuda", "native"):
        if not os.path.isdir(os.path.join(root, sub)):
            sys.exit("prepare.py: %s has no %s/ folder" % (root, sub))
    stats = {"asm": 0, "shared": 0}
    entries, skipped = [], []

    def cuda_transform(text, rel):
        where = "cuda/" + rel
        nocom, code = mask(text)
        text, n = rewrite_asm(text, nocom, code, where)
        stats["asm"] += n
        nocom, code = mask(text)
        text, n = rewrite_shared(text, nocom, code, where)
        stats["shared"] += n
        nocom, code = mask(text)
        left = re.search(r"\b(asm|__asm__|__asm)\b", code)
        if left:
            raise Fail("%s:%d: an asm statement was not rewritten" % (where, line_of(text, left.start())))
        if rel.endswith((".cu", ".cuh")):
            e, s = find_entries(text, nocom, code, where)
            entries.extend(e)
            skipped.extend(s)
        return text

    try:
        sync_tree(os.path.join(root, "cuda"), os.path.join(work, "src", "cuda"), cuda_transform)
        sync_tree(os.path.join(root, "native"), os.path.join(work, "src", "native"), lambda t, rel: t)
    except Fail as e:
        sys.exit("emu: ERROR %s" % e)

    # The harness's sources, as native/CMakeLists.txt lists them (else every native/*.cpp).
    native = os.path.join(work, "src", "native")
    srcs = None
    try:
        with open(os.path.join(native, "CMakeLists.txt"), encoding="utf-8") as f:
            am = re.search(r"add_executable\(\s*ntk4j-harness\s+([^)]*)\)", f.read())
        if am:
            srcs = [s for s in am.group(1).split() if s.endswith((".cpp", ".cc", ".cxx"))]
    except OSError:
        pass
    if not srcs:
        srcs = sorted(f for f in os.listdir(native) if f.endswith((".cpp", ".cc", ".cxx")))
    write_if_changed(os.path.join(work, "harness.mk"), "HARNESS_SRCS := %s\n" % " ".join(srcs))

    units = sorted(f for f in os.listdir(os.path.join(work, "src", "cuda")) if f.endswith(".cu"))
    seen, rows = set(), []
    for name, ns, bounds, where, lineno in sorted(entries):
        if name in seen:
            continue
        seen.add(name)
        q = (ns + "::" if ns else "") + name
        lb = "0"
        if bounds:
            lb = "[] { %sreturn static_cast<int>(%s); }()" % ("using namespace %s; " % ns if ns else "", bounds)
        rows.append('    emu::entry<&%s>("%s", %s),  // %s:%d' % (q, name, lb, where, lineno))
    if not rows:
        sys.exit("emu: ERROR no extern \"C\" __global__ entry points found in %s/cuda" % root)
    gen = ["// Generated by native/emu/prepare.py from %s/cuda: do not edit." % root,
           "// Every cuda/*.cu in one translation unit (as the project's build does), then the entry-point table.",
           '#include "cuda_runtime.h"', '#include "emu.h"']
    gen += ['#include "src/cuda/%s"' % u for u in units]
    gen += ["", "static const emu::Entry kEntries[] = {"] + rows + ["};",
            "const emu::Entry* emu::kernel_table(int* count) {",
            "    *count = static_cast<int>(sizeof kEntries / sizeof kEntries[0]);",
            "    return kEntries;", "}", ""]
    write_if_changed(os.path.join(work, "kernels_emu.cpp"), "\n".join(gen))
    print("emu: %d entry points, %d inline asm statements and %d __shared__ variables rewritten%s" % (
        len(rows), stats["asm"], stats["shared"],
        "; not in the table (C++ linkage or template): " + ", ".join(sorted(set(skipped))) if skipped else ""))


if __name__ == "__main__":
    main()
