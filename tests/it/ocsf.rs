//! `report --format ocsf`: one OCSF Detection Finding per finding of `findings.json`, in the
//! same order, open and exempted alike, each record validated by `py-ocsf-models` (the
//! models Prowler builds its OCSF output with) with every model set to refuse fields it does
//! not define.

use std::process::Command;

use crate::common::{demo_snapshot, report_in_temp, text};

/// Loads each record as a `DetectionFinding` of py-ocsf-models; exits 1 naming the first
/// record that does not load, 3 when the package is missing.
const CHECK: &str = r#"
import importlib, inspect, json, pkgutil, sys
try:
    import pydantic, py_ocsf_models
except ImportError as e:
    print(f"py-ocsf-models is not installed: {e}")
    sys.exit(3)
models = []
for m in pkgutil.walk_packages(py_ocsf_models.__path__, py_ocsf_models.__name__ + "."):
    for _, cls in inspect.getmembers(importlib.import_module(m.name), inspect.isclass):
        if issubclass(cls, pydantic.BaseModel) and cls.__module__.startswith("py_ocsf_models"):
            models.append(cls)
for cls in models:
    cls.model_config["extra"] = "forbid"
for cls in models:
    cls.model_rebuild(force=True)
from py_ocsf_models.events.findings.detection_finding import DetectionFinding
records = json.load(open(sys.argv[1]))
for i, r in enumerate(records):
    try:
        DetectionFinding.model_validate(r)
    except pydantic.ValidationError as e:
        print(f"record {i} ({r.get('finding_info', {}).get('uid')}): {e}")
        sys.exit(1)
print(f"{len(records)} records load as DetectionFinding (py-ocsf-models, OCSF {py_ocsf_models.OCSF_VERSION})")
"#;

#[test]
fn every_finding_is_a_detection_finding_that_py_ocsf_models_loads() {
    let policy = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        policy.path(),
        "[[exemption]]\nrule = \"USER_INACTIVE\"\nprincipal = \"*\"\n\
         reason = \"seasonal staff\"\nowner = \"it@example.com\"\nexpires = 2099-12-31\n",
    )
    .unwrap();
    let policy_path = policy.path().to_str().unwrap();
    let (dir, _) = report_in_temp(
        &demo_snapshot(),
        &["--format", "json,ocsf", "--policy", policy_path],
    );
    let out = dir.path().join("out");
    let findings: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("findings.json")).unwrap()).unwrap();
    let findings = findings["findings"].as_array().unwrap();
    let path = out.join("findings.ocsf.json");
    let records: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(records.len(), findings.len());
    assert!(findings.len() > 20);
    let mut exempted = 0;
    for (f, r) in findings.iter().zip(&records) {
        assert_eq!(r["class_uid"], 2004);
        assert_eq!(r["category_uid"], 2);
        assert_eq!(r["type_uid"], 200401);
        assert_eq!(r["metadata"]["version"], "1.5.0");
        assert_eq!(r["metadata"]["product"]["name"], "atlas-audit");
        assert_eq!(
            r["metadata"]["product"]["version"],
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(r["finding_info"]["uid"], f["id"]);
        assert_eq!(r["finding_info"]["analytic"]["uid"], f["rule"]);
        assert_eq!(r["finding_info"]["title"], f["title"]);
        assert_eq!(r["remediation"]["desc"], f["recommendation"]["text"]);
        let severity = match f["severity"].as_str().unwrap() {
            "info" => 1,
            "low" => 2,
            "medium" => 3,
            "high" => 4,
            "critical" => 5,
            other => panic!("severity {other}"),
        };
        assert_eq!(r["severity_id"], severity, "{r}");
        assert_eq!(r["resources"][0]["uid"], f["principal"]["key"]);
        assert_eq!(r["cloud"]["account"]["uid"], f["scope"]["org_id"]);
        assert_eq!(
            r["evidences"][0]["data"]["facts"].as_array().unwrap().len(),
            f["evidence"]["facts"].as_array().unwrap().len()
        );
        if f["status"] == "exempted" {
            exempted += 1;
            assert_eq!(r["status_id"], 3, "{r}");
            let detail = r["status_detail"].as_str().unwrap();
            assert!(detail.contains("seasonal staff") && detail.contains("2099-12-31"));
            assert_eq!(r["unmapped"]["exemption"]["owner"], "it@example.com");
        } else {
            assert_eq!(r["status_id"], 1, "{r}");
            assert!(r.get("status_detail").is_none());
        }
    }
    assert!(exempted > 0, "the policy exempts the inactive users");
    // One record per line, so a line-oriented shipper can split the file.
    let body = std::fs::read_to_string(&path).unwrap();
    assert_eq!(body.lines().count(), records.len() + 2);

    let script = dir.path().join("check.py");
    std::fs::write(&script, CHECK).unwrap();
    let Ok(run) = Command::new("python3").arg(&script).arg(&path).output() else {
        println!("skipped the py-ocsf-models check: python3 is not installed");
        return;
    };
    match run.status.code() {
        Some(0) => println!("{}", text(&run.stdout).trim()),
        Some(3) => println!(
            "skipped the py-ocsf-models check: {} (.ci/run installs it)",
            text(&run.stdout).trim()
        ),
        _ => panic!(
            "py-ocsf-models refused a record:\n{}{}",
            text(&run.stdout),
            text(&run.stderr)
        ),
    }
}
