#!/usr/bin/env python3
"""check-skips.py [--allow REGEX]... NAME=REPORT_DIR...

Reads the JUnit XML reports (surefire's, or the console launcher's --reports-dir) in each REPORT_DIR, prints one
line per NAME (tests run, failed, skipped) and every skipped test with its reason, and exits 1 when a test was
skipped for a reason that no --allow pattern (a regular expression searched in "NAME: reason") accepts, or when a
folder has no reports at all (a module whose tests did not run). A skip is never counted as a pass.
"""
import glob
import os
import re
import sys
import xml.etree.ElementTree as ET


def main(argv):
    allow, dirs = [], []
    it = iter(argv)
    for a in it:
        if a == "--allow":
            allow.append(re.compile(next(it)))
        else:
            name, _, path = a.partition("=")
            dirs.append((name, path or name))
    bad = []
    for name, path in dirs:
        files = sorted(glob.glob(os.path.join(path, "TEST-*.xml")))
        if not files:
            print(f"ci: {name}: no test reports in {path}")
            bad.append(f"{name}: no test reports")
            continue
        run = failed = 0
        skipped = []
        for f in files:
            for case in ET.parse(f).getroot().iter("testcase"):
                run += 1
                if case.find("failure") is not None or case.find("error") is not None:
                    failed += 1
                s = case.find("skipped")
                if s is not None:
                    reason = (s.get("message") or (s.text or "")).strip().splitlines()
                    skipped.append((f"{case.get('classname')}.{case.get('name')}", reason[0] if reason else "no reason"))
        print(f"ci: {name}: {run} tests, {failed} failed, {len(skipped)} skipped")
        for test, reason in skipped:
            ok = any(p.search(f"{name}: {reason}") for p in allow)
            print(f"ci:   skipped {test}: {reason}{'' if ok else '  <- CI can run this: not allowed'}")
            if not ok:
                bad.append(f"{name}: {test}: {reason}")
    if bad:
        print(f"ci: {len(bad)} test(s) skipped that CI must run (or modules without reports):", file=sys.stderr)
        for b in bad:
            print(f"ci:   {b}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
