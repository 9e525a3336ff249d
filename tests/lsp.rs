//! `vasrec lsp` driven as an editor would: the real binary, JSON-RPC over
//! its stdin and stdout with `Content-Length` framing, on a copy of the
//! bundled package. Every wait times out, so a hang fails instead of
//! blocking the test run.
#![cfg(feature = "lsp")]

mod common;
mod lsp_client;

use common::{TempDir, root};
use lsp_client::{Client, at, bundled_copy, edited_files, labels, position, snapshot, uri};
use serde_json::{Value, json};
use std::collections::BTreeSet;

#[test]
fn an_editor_session_on_the_bundled_package() {
    let dir = TempDir::new("lsp");
    let root = bundled_copy(&dir);
    let before = snapshot(&root);
    let rules_uri = uri(&root.join("rules.vas"));
    let segments_uri = uri(&root.join("segments.vas"));
    let rules = std::fs::read_to_string(root.join("rules.vas")).unwrap();
    let segments = std::fs::read_to_string(root.join("segments.vas")).unwrap();

    let mut client = Client::start();
    let init = client.result(
        "initialize",
        json!({ "processId": null, "rootUri": uri(&root), "capabilities": {} }),
    );
    let capabilities = &init["capabilities"];
    for provider in [
        "documentFormattingProvider",
        "hoverProvider",
        "definitionProvider",
        "referencesProvider",
        "renameProvider",
        "documentSymbolProvider",
    ] {
        assert_eq!(capabilities[provider], json!(true), "{provider}: {init}");
    }
    // Incremental changes; opens, closes and saves are sent.
    assert_eq!(
        capabilities["textDocumentSync"],
        json!({ "openClose": true, "change": 2, "save": true })
    );
    assert_eq!(capabilities["positionEncoding"], "utf-16");
    assert_eq!(
        capabilities["completionProvider"]["triggerCharacters"],
        json!([".", "[", "\""])
    );
    assert_eq!(init["serverInfo"]["name"], "vasrec");
    client.notify("initialized", json!({}));
    client.open(&rules_uri, &rules);

    // Type a new segment with a Chinese name under a misspelt parent, at the
    // end of the file: the column after Chinese text counts UTF-16 units.
    let end_line = rules.matches('\n').count();
    let typed = "segment 新客户二 under new_custmer \"新客户\" { when tenure_months < 3 }\n";
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": rules_uri, "version": 2 }, "contentChanges": [{
            "range": { "start": { "line": end_line, "character": 0 },
                       "end": { "line": end_line, "character": 0 } },
            "text": typed }] }),
    );
    let found = client.diagnostics(&rules_uri, |list| {
        list.iter().any(|d| d["code"] == "UNKNOWN_SEGMENT")
    });
    let typo = found
        .iter()
        .find(|d| d["code"] == "UNKNOWN_SEGMENT")
        .unwrap();
    // `segment 新客户二 under ` is 8 + 4 + 7 = 19 UTF-16 units (27 bytes).
    assert_eq!(
        typo["range"],
        json!({ "start": { "line": end_line, "character": 19 },
                "end": { "line": end_line, "character": 30 } })
    );
    assert_eq!(typo["severity"], json!(1));
    assert_eq!(typo["source"], "vasrec");
    let message = typo["message"].as_str().unwrap();
    assert!(message.contains("new_custmer"), "{message}");
    assert!(
        message.contains("help: did you mean `new_customer`?"),
        "{message}"
    );

    // The quick fix puts the suggested name in its place.
    let actions = client.result(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": rules_uri }, "range": typo["range"],
                "context": { "diagnostics": [typo] } }),
    );
    let fix = &actions[0];
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["title"], "Change to `new_customer`");
    let edit = &fix["edit"]["changes"][&rules_uri][0];
    assert_eq!(edit["newText"], "new_customer");
    assert_eq!(edit["range"], typo["range"]);

    // A second mistake in another file: a duplicate rule id, with the first
    // declaration as a related place.
    let support_uri = uri(&root.join("support.vas"));
    let support = std::fs::read_to_string(root.join("support.vas")).unwrap();
    let duplicate = format!("{support}\nrule vip_manager for everyone {{ offer cloud_backup }}\n");
    client.open(&support_uri, &duplicate);
    let found = client.diagnostics(&support_uri, |list| {
        list.iter().any(|d| d["code"] == "DUPLICATE_NAME")
    });
    let twice = found
        .iter()
        .find(|d| d["code"] == "DUPLICATE_NAME")
        .unwrap();
    let related = &twice["relatedInformation"][0]["location"];
    assert_eq!(related["uri"], rules_uri, "{twice}");
    assert_eq!(
        related["range"]["start"],
        position(&rules, "vip_manager {", 0)
    );
    client.replace(&support_uri, 2, &support);
    client.diagnostics(&support_uri, |list| list.is_empty());

    // Undo the typing: the error is cleared.
    client.replace(&rules_uri, 3, &rules);
    client.diagnostics(&rules_uri, |list| {
        list.iter().all(|d| d["code"] != "UNKNOWN_SEGMENT")
    });

    // Hover: a segment (label, parents, condition), a service (display
    // name, cost, effects), an attribute (type, values), a profile.
    let hover = |client: &mut Client, needle: &str| {
        let result = client.result(
            "textDocument/hover",
            at(&rules_uri, position(&rules, needle, 1)),
        );
        result["contents"]["value"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let segment = hover(&mut client, "high_value,");
    assert!(
        segment.contains("高价值老客户") && segment.contains("under `established`"),
        "{segment}"
    );
    assert!(segment.contains("when monthly_charges >= 80"), "{segment}");
    let service = hover(&mut client, "dedicated_account_manager");
    assert!(
        service.contains("专属客户经理") && service.contains("cost 40"),
        "{service}"
    );
    assert!(service.contains("personalization +8"), "{service}");
    let attribute = hover(&mut client, "contract in");
    assert!(
        attribute.contains("category") && attribute.contains("\"Two year\""),
        "{attribute}"
    );
    let profile = hover(&mut client, "personal_touch");
    assert!(
        profile.contains("when pref.personalization >= 0.7"),
        "{profile}"
    );

    // Definition of a segment: its declaration in segments.vas; of a
    // service: its entry in the catalog.
    let definition = client.result(
        "textDocument/definition",
        at(&rules_uri, position(&rules, "high_value,", 2)),
    );
    assert_eq!(definition["uri"], segments_uri);
    assert_eq!(
        definition["range"]["start"],
        position(&segments, "segment high_value ", "segment ".len())
    );
    let definition = client.result(
        "textDocument/definition",
        at(&rules_uri, position(&rules, "offer dedicated", 8)),
    );
    assert_eq!(definition["uri"], uri(&root.join("catalog.yaml")));
    let catalog = std::fs::read_to_string(root.join("catalog.yaml")).unwrap();
    assert_eq!(
        definition["range"]["start"],
        position(&catalog, "dedicated_account_manager", 0)
    );

    // References: in the rule files that name it, and in a test case.
    let references = client.result(
        "textDocument/references",
        json!({ "textDocument": { "uri": rules_uri }, "position": position(&rules, "high_value,", 0),
                "context": { "includeDeclaration": true } }),
    );
    let files: BTreeSet<String> = references
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["uri"].as_str().unwrap().replacen(&uri(&root), "", 1))
        .collect();
    assert_eq!(
        files.into_iter().collect::<Vec<_>>(),
        [
            "/rules.vas",
            "/segments.vas",
            "/support.vas",
            "/tests/segments.yaml"
        ]
    );

    // Completion after `offer ` lists services; after `pref.` preferences.
    let complete = |client: &mut Client, uri: &str, text: &str, needle: &str| {
        client.result(
            "textDocument/completion",
            at(uri, position(text, needle, needle.len())),
        )
    };
    let services = labels(&complete(&mut client, &rules_uri, &rules, "offer "));
    assert!(
        services.contains(&"cloud_backup".to_string())
            && services.contains(&"loyalty_membership".to_string()),
        "{services:?}"
    );
    let preferences = labels(&complete(&mut client, &rules_uri, &rules, "(pref."));
    assert!(
        preferences.contains(&"personalization".to_string())
            && preferences.contains(&"responsiveness".to_string()),
        "{preferences:?}"
    );
    // Typing a condition: category values after `==` and inside `in [`,
    // quoted, and segments after `for`.
    // (Spaced apart from anything in rules.vas, so each needle is the typed one.)
    let typing = format!(
        "{rules}rule typing for everyone {{\n  when internet  == \"Fi\"\n  when contract in [ \"One year\",  \n}}\n"
    );
    client.replace(&rules_uri, 4, &typing);
    let values = complete(&mut client, &rules_uri, &typing, "internet  == \"Fi");
    let fiber = values
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "Fiber optic")
        .unwrap_or_else(|| panic!("{values}"));
    assert_eq!(fiber["textEdit"]["newText"], "\"Fiber optic\"");
    assert_eq!(fiber["filterText"], "\"Fiber optic\"");
    // The typed quote, the typed letters and the closing quote are replaced.
    assert_eq!(
        fiber["textEdit"]["range"],
        json!({ "start": position(&typing, "internet  == ", 13),
                "end": position(&typing, "internet  == ", 17) })
    );
    let listed = labels(&complete(
        &mut client,
        &rules_uri,
        &typing,
        "[ \"One year\",  ",
    ));
    assert!(
        listed.contains(&"Two year".to_string()) && listed.contains(&"Month-to-month".to_string()),
        "{listed:?}"
    );
    let targets = labels(&complete(
        &mut client,
        &rules_uri,
        &typing,
        "rule typing for ",
    ));
    assert!(targets.contains(&"high_value".to_string()), "{targets:?}");
    client.replace(&rules_uri, 5, &rules);

    // Rename a segment: edits in every file that names it, the package's
    // test cases included.
    let rename = client.result(
        "textDocument/rename",
        json!({ "textDocument": { "uri": rules_uri }, "position": position(&rules, "high_value,", 0),
                "newName": "valuable" }),
    );
    assert_eq!(
        edited_files(&rename),
        ["rules.vas", "segments.vas", "support.vas", "segments.yaml"]
    );
    assert!(
        rename["changes"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|e| e.as_array().unwrap())
            .all(|e| e["newText"] == "valuable")
    );
    // A keyword is refused with a message, not applied.
    let refused = client.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": rules_uri }, "position": position(&rules, "high_value,", 0),
                "newName": "when" }),
    );
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`when`"),
        "{refused}"
    );

    // Formatting is `vasrec fmt`'s layout, as one edit of the whole text;
    // none when the text is already laid out, or does not parse.
    let format = |client: &mut Client| {
        client.result(
            "textDocument/formatting",
            json!({ "textDocument": { "uri": rules_uri },
                    "options": { "tabSize": 2, "insertSpaces": true } }),
        )
    };
    let messy = rules.replacen("rule vip_manager {\n  for", "rule   vip_manager{\n for", 1);
    assert_ne!(messy, rules);
    client.replace(&rules_uri, 6, &messy);
    let edits = format(&mut client);
    let lines = messy.matches('\n').count();
    assert_eq!(
        edits,
        json!([{ "range": { "start": { "line": 0, "character": 0 },
                            "end": { "line": lines, "character": 0 } },
                 "newText": rules }])
    );
    client.replace(&rules_uri, 7, &rules);
    assert_eq!(format(&mut client), json!([]));
    client.replace(&rules_uri, 8, &format!("{messy}rule half_typed for {{\n"));
    assert_eq!(format(&mut client), json!([]));
    client.replace(&rules_uri, 9, &rules);

    // The outline of a file that is not even open.
    let outline = client.result(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": segments_uri } }),
    );
    let names: Vec<&str> = outline
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.first(), Some(&"everyone"));
    assert!(names.contains(&"high_value_flexible"));

    // Odd input gets an answer, not a crash.
    let odd = client.request("textDocument/hover", json!({ "nonsense": [1, 2] }));
    assert_eq!(odd["result"], Value::Null);
    let unknown = client.request("workspace/nothing", json!({}));
    assert_eq!(unknown["error"]["code"], json!(-32601), "{unknown}");

    assert_eq!(client.shut_down(), Some(0));
    // Renames and quick fixes are edits for the editor: nothing was written.
    assert!(snapshot(&root) == before, "the server wrote to the package");
}

#[test]
fn hostile_buffers_and_positions_get_answers_not_crashes() {
    let dir = TempDir::new("lsp-hostile");
    let root = bundled_copy(&dir);
    // A link to a rule file outside the package: never read.
    let outside = TempDir::new("lsp-outside");
    std::fs::write(
        outside.path().join("secret.vas"),
        "segment leaked_secret under everyone { when true }\n",
    )
    .unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path().join("secret.vas"), root.join("linked.vas")).unwrap();
    let before = snapshot(&root);
    let rules_uri = uri(&root.join("rules.vas"));
    let rules = std::fs::read_to_string(root.join("rules.vas")).unwrap();

    let mut client = Client::start();
    // A request before `initialize` is refused, not answered.
    let early = client.request(
        "textDocument/hover",
        at(&rules_uri, json!({ "line": 0, "character": 0 })),
    );
    assert_eq!(early["error"]["code"], json!(-32002), "{early}");
    client.result("initialize", json!({ "capabilities": {} }));
    client.notify("initialized", json!({}));
    client.open(&rules_uri, &rules);

    let segments = labels(&client.result(
        "textDocument/completion",
        at(&rules_uri, position(&rules, "for high_value", 4)),
    ));
    assert!(segments.contains(&"high_value".to_string()), "{segments:?}");
    assert!(
        !segments.contains(&"leaked_secret".to_string()),
        "{segments:?}"
    );

    // Deep nesting, NUL, a lone surrogate's worth of emoji, broken UTF-16
    // positions, then a buffer over the size limit.
    let deep = format!(
        "{rules}\nsegment deep under everyone {{ when {}x{} }}\n\u{0}😀\"",
        "(".repeat(50_000),
        ")".repeat(50_000)
    );
    client.replace(&rules_uri, 2, &deep);
    client.diagnostics(&rules_uri, |list| !list.is_empty());
    let impossible = [
        json!({ "line": 0, "character": 4_000_000_000u32 }),
        json!({ "line": 4_000_000_000u32, "character": 0 }),
        json!({ "line": deep.matches('\n').count(), "character": 2 }),
        json!({ "line": -1, "character": "x" }),
    ];
    for (i, place) in impossible.iter().enumerate() {
        for method in [
            "textDocument/hover",
            "textDocument/definition",
            "textDocument/completion",
            "textDocument/references",
        ] {
            let answer = client.request(method, at(&rules_uri, place.clone()));
            assert!(
                answer.get("result").is_some(),
                "{method} at {place}: {answer}"
            );
        }
        let rename = client.request(
            "textDocument/rename",
            json!({ "textDocument": { "uri": rules_uri }, "position": place, "newName": "x" }),
        );
        assert!(rename.get("result").is_some() || rename.get("error").is_some());
        client.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": rules_uri, "version": 3 + i },
                    "contentChanges": [{ "range": { "start": place, "end": { "line": 0, "character": 1 } },
                                         "text": "" }] }),
        );
    }
    // Thousands of warnings: the first thousand are shown, and a line says
    // how many more there are.
    let unused: String = (0..1100)
        .map(|i| format!("segment unused_{i} under everyone {{ when true }}\n"))
        .collect();
    client.replace(&rules_uri, 10, &format!("{rules}{unused}"));
    let shown = client.diagnostics(&rules_uri, |list| list.len() > 100);
    assert_eq!(shown.len(), 1001);
    assert_eq!(shown[999]["code"], "UNUSED_SEGMENT");
    assert_eq!(
        shown[1000]["message"],
        "100 more problems in this file are not shown; `vasrec check` lists them all"
    );
    let huge = "# filler line of a very large rule file\n".repeat(9 * 1024 * 1024 / 40);
    client.replace(&rules_uri, 20, &huge);
    let found = client.diagnostics(&rules_uri, |list| {
        list.iter().any(|d| d["code"] == "READ_ERROR")
    });
    assert!(
        found[0]["message"]
            .as_str()
            .unwrap()
            .contains("larger than the limit")
    );

    // Back to the real text: the server is still well.
    client.replace(&rules_uri, 21, &rules);
    client.diagnostics(&rules_uri, |list| list.is_empty());
    let hover = client.result(
        "textDocument/hover",
        at(&rules_uri, position(&rules, "high_value,", 1)),
    );
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("高价值老客户")
    );
    assert_eq!(client.shut_down(), Some(0));
    assert!(snapshot(&root) == before, "the server wrote to the package");
}

#[test]
fn two_packages_are_served_at_once() {
    let dir = TempDir::new("lsp-two");
    let telecom = dir.path().join("telecom");
    let airline = dir.path().join("airline");
    for (from, to) in [
        (root().join("rules"), &telecom),
        (root().join("examples/airline"), &airline),
    ] {
        std::fs::create_dir(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
            }
        }
    }
    let telecom_uri = uri(&telecom.canonicalize().unwrap().join("rules.vas"));
    let airline_uri = uri(&airline.canonicalize().unwrap().join("rules.vas"));
    let telecom_rules = std::fs::read_to_string(telecom.join("rules.vas")).unwrap();
    let airline_rules = std::fs::read_to_string(airline.join("rules.vas")).unwrap();

    let mut client = Client::start();
    client.result("initialize", json!({ "capabilities": {} }));
    client.notify("initialized", json!({}));
    client.open(&telecom_uri, &telecom_rules);
    client.open(
        &airline_uri,
        &format!("{airline_rules}\nrule broken for nobody_here {{ offer x }}\n"),
    );
    client.diagnostics(&airline_uri, |list| {
        list.iter().any(|d| d["code"] == "UNKNOWN_SEGMENT")
    });
    // An edit in the first package is still seen: each keeps its buffers.
    let typo = telecom_rules.replacen("for high_value,", "for high_valu,", 1);
    client.replace(&telecom_uri, 2, &typo);
    let found = client.diagnostics(&telecom_uri, |list| {
        list.iter().any(|d| d["code"] == "UNKNOWN_SEGMENT")
    });
    assert!(found[0]["message"].as_str().unwrap().contains("high_valu"));
    // Each package's names are its own.
    let services = labels(&client.result(
        "textDocument/completion",
        at(&airline_uri, position(&airline_rules, "offer ", 6)),
    ));
    assert!(
        !services.is_empty() && !services.contains(&"cloud_backup".to_string()),
        "{services:?}"
    );

    // `exit` without `shutdown` is an error exit, as the protocol says.
    client.notify("exit", Value::Null);
    assert_eq!(client.exit_code(), Some(1));
}

#[test]
fn the_bundled_table_is_read_and_its_open_csv_file_is_checked_at_the_cell() {
    let dir = TempDir::new("lsp-table");
    let package = bundled_copy(&dir);
    let rules_uri = uri(&package.join("support.vas"));
    let rows_uri = uri(&package.join("senior_care.csv"));
    let support = std::fs::read_to_string(package.join("support.vas")).unwrap();
    let rows = std::fs::read_to_string(package.join("senior_care.csv")).unwrap();

    let mut client = Client::start();
    client.result("initialize", json!({ "capabilities": {} }));
    client.notify("initialized", json!({}));
    // The table's rows come from the folder: a mistake elsewhere in the
    // file is the only message, with no "no such file" for the table.
    assert!(support.contains("  for new_customer\n"));
    let mistake = support.replacen("  for new_customer\n", "  for new_custome\n", 1);
    client.open(&rules_uri, &mistake);
    let found = client.diagnostics(&rules_uri, |list| !list.is_empty());
    let codes: Vec<&Value> = found.iter().map(|d| &d["code"]).collect();
    assert_eq!(codes, [&json!("UNKNOWN_SEGMENT")], "{found:#?}");
    client.replace(&rules_uri, 2, &support);
    client.diagnostics(&rules_uri, <[Value]>::is_empty);
    // An unsaved edit to the CSV file is checked, at its cell.
    client.open(&rows_uri, &rows);
    let typo = rows.replacen(
        "false,false,senior_care_line",
        "false,false,senior_care_lin",
        1,
    );
    client.replace(&rows_uri, 2, &typo);
    let found = client.diagnostics(&rows_uri, |list| {
        list.iter().any(|d| d["code"] == "UNKNOWN_SERVICE")
    });
    let range = &found[0]["range"];
    let cell = position(&typo, "senior_care_lin,6", 0);
    assert_eq!(range["start"], cell, "{found:#?}");
    assert_eq!(
        range["end"]["character"].as_u64(),
        cell["character"]
            .as_u64()
            .map(|c| c + "senior_care_lin".len() as u64)
    );
    // Fixed again: the error is cleared.
    client.replace(&rows_uri, 3, &rows);
    client.diagnostics(&rows_uri, <[Value]>::is_empty);
    assert_eq!(client.shut_down(), Some(0));
}
