//! The shape of the code, read from its sources: the `crate::` import graph has no circle, between
//! files or between domains; no service takes the application's state; no file grows past 800
//! lines; and a domain reads another domain's tables only where DESIGN.md names the join and its
//! reason.
use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
};

/// Every `.rs` file under src/, by its path relative to src/ ("minutes/service/mod.rs"), with
/// its text without line comments and without its test module.
fn sources() -> BTreeMap<String, String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                out.insert(rel, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    walk(&root, &root, &mut out);
    assert!(out.len() > 100, "the scan found only {} files: is it still reading src/?", out.len());
    out
}

fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines().map(|l| l.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n")
}

/// The paths a text names after `crate::`, each as its segments: `crate::a::{b, c::d}` gives
/// [a, b] and [a, c, d].
fn crate_paths(text: &str) -> Vec<Vec<String>> {
    fn ident(s: &str) -> (&str, &str) {
        let end = s.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(s.len());
        (&s[..end], &s[end..])
    }
    /// Parses a path or tree at the start of `s` under `prefix`.
    fn tree(s: &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
        let mut segs = prefix;
        let mut rest = s.trim_start();
        loop {
            if let Some(inner) = rest.strip_prefix('{') {
                let (mut depth, mut start) = (1, 0);
                for (i, c) in inner.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' | ',' if depth == 1 => {
                            tree(&inner[start..i], segs.clone(), out);
                            start = i + 1;
                            if c == '}' {
                                return;
                            }
                        }
                        '}' => depth -= 1,
                        _ => {}
                    }
                }
                return;
            }
            let (name, after) = ident(rest);
            if name.is_empty() {
                break;
            }
            if name != "self" {
                segs.push(name.to_owned());
            }
            match after.trim_start().strip_prefix("::") {
                Some(next) => rest = next.trim_start(),
                None => break,
            }
        }
        if !segs.is_empty() {
            out.push(segs);
        }
    }
    let mut out = Vec::new();
    for (i, _) in text.match_indices("crate::") {
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        tree(&text[i + "crate::".len()..], Vec::new(), &mut out);
    }
    out
}

/// The file a path lives in: the longest prefix of it that is a file.
fn file_of<'a>(files: &'a BTreeMap<String, String>, segs: &[String]) -> Option<&'a str> {
    (1..=segs.len()).rev().find_map(|n| {
        let base = segs[..n].join("/");
        [format!("{base}.rs"), format!("{base}/mod.rs")]
            .into_iter()
            .find_map(|f| files.get_key_value(&f).map(|(k, _)| k.as_str()))
    })
}

fn domain(file: &str) -> &str {
    file.split('/').next().unwrap().trim_end_matches(".rs")
}

#[test]
fn the_crate_import_graph_has_no_circle() {
    let files = sources();
    let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (file, text) in &files {
        for segs in crate_paths(&code(text)) {
            if let Some(to) = file_of(&files, &segs).filter(|to| to != file) {
                edges.entry(file.as_str()).or_default().insert(to);
            }
        }
    }
    assert!(edges.values().map(BTreeSet::len).sum::<usize>() > 300, "the scan found too few imports");
    // Depth-first search; a file met again while still on the path closes a circle.
    fn visit<'a>(
        f: &'a str,
        edges: &BTreeMap<&'a str, BTreeSet<&'a str>>,
        done: &mut BTreeSet<&'a str>,
        path: &mut Vec<&'a str>,
    ) -> Option<Vec<&'a str>> {
        if let Some(at) = path.iter().position(|p| *p == f) {
            return Some(path[at..].iter().copied().chain([f]).collect());
        }
        if !done.insert(f) {
            return None;
        }
        path.push(f);
        for to in edges.get(f).into_iter().flatten() {
            if let Some(circle) = visit(to, edges, done, path) {
                return Some(circle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for file in files.keys() {
        if let Some(circle) = visit(file, &edges, &mut done, &mut Vec::new()) {
            panic!("the crate:: imports go round: {}", circle.join(" -> "));
        }
    }
}

/// The web side: handlers, and the files that take the application's state or the request context
/// (the router, the pages' view structs, the context itself). It sits on top of the domains.
fn web_side(file: &str, text: &str) -> bool {
    file.contains("handlers")
        || ["app.rs", "state.rs", "main.rs"].contains(&file)
        || crate_paths(text).iter().any(|p| ["web", "state", "app"].contains(&p[0].as_str()))
}

/// DESIGN.md's layers: each top-level module by the number of its row in the table ("| 3 | `db`,
/// `invitations`, ... |").
/// The text of DESIGN.md's section `## {title}`, up to the next section.
fn design_section(title: &str) -> String {
    let design = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("DESIGN.md")).unwrap();
    let section = design.split(&format!("\n## {title}\n")).nth(1);
    section.unwrap_or_else(|| panic!("DESIGN.md has no section {title:?}")).split("\n## ").next().unwrap().to_owned()
}

fn layers() -> BTreeMap<String, u32> {
    let section = design_section("Layers");
    let mut layers = BTreeMap::new();
    for row in section.lines().filter_map(|l| l.strip_prefix("| ")) {
        let mut cells = row.split(" | ");
        let (Some(n), Some(modules)) = (cells.next().and_then(|n| n.trim().parse::<u32>().ok()), cells.next()) else {
            continue;
        };
        for name in modules.split('`').skip(1).step_by(2) {
            layers.insert(name.to_owned(), n);
        }
    }
    assert!(layers.len() > 20, "DESIGN.md's layers name only {} modules", layers.len());
    layers
}

/// Layers, as DESIGN.md draws them: below the web side, each top-level module (a domain's folder,
/// or a file such as `db.rs`) imports only modules of lower layers, so the modules form no circle;
/// and no file below imports the web side.
#[test]
fn the_domains_are_layered_without_a_circle() {
    let files = sources();
    let texts: BTreeMap<&str, String> = files.iter().map(|(f, t)| (f.as_str(), code(t))).collect();
    let below = |f: &str| !web_side(f, &texts[f]);
    let mut upwards = Vec::new();
    // module -> module it imports -> one file import that shows it
    let mut edges: BTreeMap<&str, BTreeMap<&str, String>> = BTreeMap::new();
    for (file, text) in &texts {
        if !below(file) {
            continue;
        }
        for segs in crate_paths(text) {
            let Some(to) = file_of(&files, &segs).filter(|to| to != file) else { continue };
            if !below(to) {
                upwards.push(format!("{file} -> {to}"));
            } else if domain(file) != domain(to) {
                edges.entry(domain(file)).or_default().entry(domain(to)).or_insert_with(|| format!("{file} -> {to}"));
            }
        }
    }
    assert!(upwards.is_empty(), "only the web side imports the web side: {upwards:?}");
    assert!(edges.len() > 15, "the scan found only {} modules importing others", edges.len());
    fn visit<'a>(
        m: &'a str,
        edges: &BTreeMap<&'a str, BTreeMap<&'a str, String>>,
        done: &mut BTreeSet<&'a str>,
        path: &mut Vec<&'a str>,
    ) -> Option<Vec<&'a str>> {
        if let Some(at) = path.iter().position(|p| *p == m) {
            return Some(path[at..].iter().copied().chain([m]).collect());
        }
        if !done.insert(m) {
            return None;
        }
        path.push(m);
        for to in edges.get(m).into_iter().flat_map(BTreeMap::keys) {
            if let Some(circle) = visit(to, edges, done, path) {
                return Some(circle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for m in edges.keys() {
        if let Some(circle) = visit(m, &edges, &mut done, &mut Vec::new()) {
            let shown: Vec<&str> = circle.windows(2).map(|w| edges[w[0]][w[1]].as_str()).collect();
            panic!("the domains go round: {} ({})", circle.join(" -> "), shown.join("; "));
        }
    }
    let layers = layers();
    let modules: BTreeSet<&str> =
        texts.keys().filter(|f| below(f)).map(|f| domain(f)).filter(|m| !["lib", "main"].contains(m)).collect();
    let missing: Vec<&&str> = modules.iter().filter(|m| !layers.contains_key(**m)).collect();
    assert!(missing.is_empty(), "DESIGN.md's layers do not place {missing:?}");
    let stale: Vec<&String> = layers.keys().filter(|m| !modules.contains(m.as_str())).collect();
    assert!(stale.is_empty(), "DESIGN.md's layers name modules src/ does not have: {stale:?}");
    let against: Vec<String> = edges
        .iter()
        .flat_map(|(from, tos)| tos.iter().map(move |(to, shown)| (from, to, shown)))
        .filter(|(from, to, _)| layers[**from] <= layers[**to])
        .map(|(from, to, shown)| format!("{from} ({}) -> {to} ({}): {shown}", layers[*from], layers[*to]))
        .collect();
    assert!(against.is_empty(), "imports against DESIGN.md's layers: {against:?}");
}

#[test]
fn services_rules_and_entities_never_import_the_web_side() {
    let files = sources();
    let offenders: Vec<&String> = files
        .iter()
        .filter(|(f, text)| {
            let core = f.split('/').any(|p| ["service", "rules", "entity"].contains(&p.trim_end_matches(".rs")));
            core && web_side(f, &code(text))
        })
        .map(|(f, _)| f)
        .collect();
    assert!(offenders.is_empty(), "services, rules and entities take what they use, never web: {offenders:?}");
}

#[test]
fn only_handlers_and_web_plumbing_take_the_application_state() {
    let files = sources();
    let takes_state =
        |f: &str| f.contains("handlers") || f.starts_with("web/") || ["app.rs", "state.rs", "main.rs"].contains(&f);
    let offenders: Vec<&String> = files
        .iter()
        .filter(|(f, text)| {
            !takes_state(f) && crate_paths(&code(text)).iter().any(|p| p[0] == "state" || p[0] == "app")
        })
        .map(|(f, _)| f)
        .collect();
    assert!(offenders.is_empty(), "services take a connection and what they use, not AppState: {offenders:?}");
}

#[test]
fn no_file_is_over_800_lines_but_the_demo() {
    let long: Vec<String> = sources()
        .iter()
        .filter(|(f, text)| f.as_str() != "demo.rs" && text.lines().count() > 800)
        .map(|(f, text)| format!("{f}: {}", text.lines().count()))
        .collect();
    assert!(long.is_empty(), "split these by what they do: {long:?}");
}

const DOMAINS: &[&str] =
    &["accounts", "attendance", "branches", "events", "mail", "members", "minutes", "records", "reports"];

/// Where a domain's code may query another domain's table (its `Entity`, `Column`, `ActiveModel`),
/// as "file: domain::table": the items of DESIGN.md's "Joins across domains", each a read-only
/// join that needs both tables in one statement, under its reason.
fn joins_named() -> BTreeSet<String> {
    let section = design_section("Joins across domains");
    let named: BTreeSet<String> = section
        .lines()
        .filter_map(|l| l.strip_prefix("- `")?.strip_suffix('`').filter(|item| !item.contains('`')))
        .map(str::to_owned)
        .collect();
    assert!(
        named.len() > 20,
        "DESIGN.md names only {} joins: is the list still `- `file: domain::table``?",
        named.len()
    );
    named
}

#[test]
fn a_domain_reads_another_domains_tables_only_in_the_joins_named() {
    let files = sources();
    let mut found = BTreeSet::new();
    for (file, text) in &files {
        let (mine, text) = (domain(file), code(text));
        if file == "demo.rs" {
            continue; // The demo fills every table, as the administrator would by hand.
        }
        for segs in crate_paths(&text) {
            let [owner, entity, table, rest @ ..] = segs.as_slice() else { continue };
            if entity != "entity" || owner == mine || !DOMAINS.contains(&owner.as_str()) {
                continue;
            }
            let queried = |item: &str| ["Entity", "Column", "ActiveModel", "Relation"].contains(&item);
            let used = rest.first().is_some_and(|r| queried(r))
                || text.match_indices(&format!("{table}::")).any(|(i, _)| {
                    let before = text[..i].chars().next_back();
                    let after = &text[i + table.len() + 2..];
                    !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
                        && queried(after.split(|c: char| !c.is_alphanumeric()).next().unwrap_or_default())
                });
            if used {
                found.insert(format!("{file}: {owner}::{table}"));
            }
        }
    }
    let named = joins_named();
    let unnamed: Vec<_> = found.difference(&named).collect();
    let gone: Vec<_> = named.difference(&found).collect();
    assert!(
        unnamed.is_empty(),
        "a domain queries another's table: ask its service, or name the join in DESIGN.md: {unnamed:?}"
    );
    assert!(gone.is_empty(), "these joins are gone: take them off DESIGN.md's list: {gone:?}");
}

#[test]
fn the_scanner_reads_trees_aliases_and_inline_paths() {
    let paths = crate_paths("use crate::{a::{self, b as c}, d::e::{f, g::h}};\nlet x = crate::k::l(1);");
    let want: Vec<Vec<String>> =
        [vec!["a"], vec!["a", "b"], vec!["d", "e", "f"], vec!["d", "e", "g", "h"], vec!["k", "l"]]
            .iter()
            .map(|p| p.iter().map(|s| (*s).to_owned()).collect())
            .collect();
    assert_eq!(paths, want);
}
