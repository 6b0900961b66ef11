#!/usr/bin/env python3
"""Fills translations/ndbackup_en.ts with the English plural forms (run after lupdate).

English needs a translation only for texts with %n: "%n job(s) running" becomes "%n job running"
and "%n jobs running". The forms follow from the source ("(s)" -> "" / "s") unless EN below says
otherwise. Every other message is dropped, so the file stays the list of English plurals.
"""
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from fill_de import write_ts

# Plurals that "(s)" cannot spell.
EN = {
    '%n job(s) continue in the background; ndbackup quits when they end.':
        ('%n job continues in the background; ndbackup quits when it ends.',
         '%n jobs continue in the background; ndbackup quits when they end.'),
}


def forms(src):
    if src in EN:
        return EN[src]
    return (src.replace('(s)', ''), src.replace('(s)', 's'))


def main():
    path = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).with_name('ndbackup_en.ts'))
    tree = ET.parse(path)
    root = tree.getroot()
    root.set('language', 'en')
    for ctx in list(root.findall('context')):
        for msg in list(ctx.findall('message')):
            if msg.get('numerus') != 'yes':
                ctx.remove(msg)
                continue
            tr = msg.find('translation')
            tr.attrib.pop('type', None)
            for child in list(tr):
                tr.remove(child)
            tr.text = None
            for f in forms(msg.find('source').text):
                ET.SubElement(tr, 'numerusform').text = f
        if not ctx.findall('message'):
            root.remove(ctx)
    write_ts(tree, path)


if __name__ == '__main__':
    main()
