//! Self-check of the device-verification support code: the form reader
//! the `Browser` submits the provider's device pages with (hidden fields,
//! entity-decoded values, a submit button outside its form). The user's side
//! against the real provider is exercised by `device_flow`.

use mail_oauth_tests::browser::forms;

#[test]
fn forms_reads_hidden_fields_and_outside_buttons() {
    let html = r#"<!DOCTYPE html><html><head><script>
        document.forms[0].submit(); var x = "<form action='/nope'>";
        </script></head><body>
        <!-- <form action="/commented"> -->
        <FORM id="op.deviceConfirmForm" method="post" action="http://127.0.0.1:1/device?a=1&amp;b=2">
        <input type="hidden" name="xsrf" value="x&quot;1"/>
        <input
          type=text name=user_code placeholder="Enter code" autofocus></input>
        <input type="hidden" name="confirm" value="yes"/>
        <button type="submit">Continue</button>
        </form>
        <button type="submit" form="op.deviceConfirmForm" value="yes" name="abort">[ Abort ]</button>
        <form method="get"><input name="q" value='it&#39;s'></form>
        </body></html>"#;
    let found = forms(html);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(found[0].id.as_deref(), Some("op.deviceConfirmForm"));
    assert_eq!(found[0].method, "post");
    assert_eq!(found[0].action, "http://127.0.0.1:1/device?a=1&b=2");
    assert_eq!(
        found[0].fields,
        [
            ("xsrf".to_owned(), "x\"1".to_owned()),
            ("user_code".to_owned(), String::new()),
            ("confirm".to_owned(), "yes".to_owned()),
        ]
    );
    assert_eq!(found[0].buttons, [("abort".to_owned(), "yes".to_owned())]);
    assert_eq!(found[1].method, "get");
    assert_eq!(found[1].action, "");
    assert_eq!(found[1].fields, [("q".to_owned(), "it's".to_owned())]);
    assert!(found[1].buttons.is_empty());
}
