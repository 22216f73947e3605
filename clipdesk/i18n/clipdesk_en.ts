<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>DuplicatesDialog</name>
    <message numerus="yes">
        <source>%n group(s)</source>
        <translation>
            <numerusform>%n group</numerusform>
            <numerusform>%n groups</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Move %n photo(s) to the trash…</source>
        <translation>
            <numerusform>Move %n photo to the trash…</numerusform>
            <numerusform>Move %n photos to the trash…</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Move %n photo(s) (%1) to the trash? The photo kept in each group stays. You can put them back from the trash; clipdesk finds them again when it next scans their folder.</source>
        <translation>
            <numerusform>Move %n photo (%1) to the trash? The photo kept in each group stays. You can put it back from the trash; clipdesk finds it again when it next scans its folder.</numerusform>
            <numerusform>Move %n photos (%1) to the trash? The photo kept in each group stays. You can put them back from the trash; clipdesk finds them again when it next scans their folder.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n photo(s) moved to the trash.</source>
        <translation>
            <numerusform>%n photo moved to the trash.</numerusform>
            <numerusform>%n photos moved to the trash.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n photo(s) could not be moved and were left where they are:</source>
        <translation>
            <numerusform>%n photo could not be moved and was left where it is:</numerusform>
            <numerusform>%n photos could not be moved and were left where they are:</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>GroupList</name>
    <message numerus="yes">
        <source>Group %1 · %n photo(s)</source>
        <translation>
            <numerusform>Group %1 · %n photo</numerusform>
            <numerusform>Group %1 · %n photos</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>LabelSetEditor</name>
    <message numerus="yes">
        <source>%n label(s)</source>
        <translation>
            <numerusform>%n label</numerusform>
            <numerusform>%n labels</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n with descriptions</source>
        <translation>
            <numerusform>%n with a description</numerusform>
            <numerusform>%n with descriptions</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message numerus="yes">
        <source>%n photo(s) are not indexed with %1 yet. Index them now? This takes a while; the vectors of the other models stay, so switching back costs nothing.</source>
        <translation>
            <numerusform>%n photo is not indexed with %1 yet. Index it now? This takes a while; the vectors of the other models stay, so switching back costs nothing.</numerusform>
            <numerusform>%n photos are not indexed with %1 yet. Index them now? This takes a while; the vectors of the other models stay, so switching back costs nothing.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ResultsHeader</name>
    <message numerus="yes">
        <source>%n photo(s)</source>
        <translation>
            <numerusform>%n photo</numerusform>
            <numerusform>%n photos</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n in stacks</source>
        <translation>
            <numerusform>%n in a stack</numerusform>
            <numerusform>%n in stacks</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ResultsModel</name>
    <message numerus="yes">
        <source>%n near-identical photo(s) in this stack</source>
        <translation>
            <numerusform>%n near-identical photo in this stack</numerusform>
            <numerusform>%n near-identical photos in this stack</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ResultsView</name>
    <message numerus="yes">
        <source>Show All %n</source>
        <translation>
            <numerusform>Show %n</numerusform>
            <numerusform>Show All %n</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>SkippedFilesDialog</name>
    <message numerus="yes">
        <source>%n folder(s) could not be read (permissions, a failing disk); they are tried again at the next scan.</source>
        <translation>
            <numerusform>%n folder could not be read (permissions, a failing disk); it is tried again at the next scan.</numerusform>
            <numerusform>%n folders could not be read (permissions, a failing disk); they are tried again at the next scan.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n file(s) could not be read and were skipped. They are tried again when they change.</source>
        <translation>
            <numerusform>%n file could not be read and was skipped. It is tried again when it changes.</numerusform>
            <numerusform>%n files could not be read and were skipped. They are tried again when they change.</numerusform>
        </translation>
    </message>
</context>
</TS>
