//! The OCI image config of a result: the base image's config with the service's settings on
//! top. Deterministic: times come from `SOURCE_DATE_EPOCH`, never from the clock.

use serde_json::{Map, Value, json};

use crate::plan::{HealthcheckConfig, ImageConfigPlan};
use crate::platform::Platform;

/// Who runs the binary when neither the service nor its base says (a `scratch` base): the
/// same unprivileged ids distroless `nonroot` uses.
pub const DEFAULT_USER: &str = "65532:65532";
const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Builds the config JSON. `base` is the base image's config (`None` for scratch); `service`
/// is `None` for an image holding several binaries, which gets no entrypoint.
pub fn image_config(
    base: Option<&[u8]>,
    service: Option<&ImageConfigPlan>,
    platform: &Platform,
    history_comment: &str,
    source_date_epoch: Option<i64>,
) -> Result<Vec<u8>, serde_json::Error> {
    let mut image: Map<String, Value> = match base {
        Some(bytes) => serde_json::from_slice(bytes)?,
        None => Map::new(),
    };
    image.insert("architecture".into(), json!(platform.architecture));
    image.insert("os".into(), json!(platform.os));
    match &platform.variant {
        Some(variant) => image.insert("variant".into(), json!(variant)),
        None => image.remove("variant"),
    };
    let created = source_date_epoch.map(rfc3339);
    match &created {
        Some(time) => image.insert("created".into(), json!(time)),
        None => image.remove("created"),
    };
    image
        .entry("rootfs")
        .or_insert_with(|| json!({"type": "layers", "diff_ids": []}));

    let mut history = match image.remove("history") {
        Some(Value::Array(entries)) => entries,
        _ => Vec::new(),
    };
    let mut entry = json!({"created_by": history_comment, "comment": "gofrontend"});
    if let Some(time) = &created {
        entry["created"] = json!(time);
    }
    history.push(entry);
    image.insert("history".into(), Value::Array(history));

    let config = image
        .entry("config")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .map(std::mem::take)
        .unwrap_or_default();
    image.insert(
        "config".into(),
        Value::Object(apply_service(config, service)),
    );
    serde_json::to_vec(&image)
}

fn apply_service(
    mut config: Map<String, Value>,
    service: Option<&ImageConfigPlan>,
) -> Map<String, Value> {
    // The base's entrypoint, command and health check belong to the base, not to our binary.
    config.remove("Entrypoint");
    config.remove("Cmd");
    config.remove("Healthcheck");
    let mut env: Vec<String> = match config.remove("Env") {
        Some(Value::Array(entries)) => entries
            .into_iter()
            .filter_map(|e| e.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    if !env.iter().any(|e| e.starts_with("PATH=")) {
        env.insert(0, DEFAULT_PATH.to_string());
    }
    if config
        .get("User")
        .and_then(Value::as_str)
        .unwrap_or("")
        .is_empty()
    {
        config.insert("User".into(), json!(DEFAULT_USER));
    }
    if let Some(service) = service {
        config.insert("Entrypoint".into(), json!(service.entrypoint));
        if let Some(cmd) = &service.cmd {
            config.insert("Cmd".into(), json!(cmd));
        }
        for (name, value) in &service.env {
            let entry = format!("{name}={value}");
            match env
                .iter_mut()
                .find(|e| e.split('=').next() == Some(name.as_str()))
            {
                Some(existing) => *existing = entry,
                None => env.push(entry),
            }
        }
        if let Some(user) = &service.user {
            config.insert("User".into(), json!(user));
        }
        if let Some(workdir) = &service.workdir {
            config.insert("WorkingDir".into(), json!(workdir));
        }
        if let Some(signal) = &service.stop_signal {
            config.insert("StopSignal".into(), json!(signal));
        }
        if let Some(check) = &service.healthcheck {
            config.insert("Healthcheck".into(), healthcheck(check));
        }
        merge_object(
            &mut config,
            "Volumes",
            service.volumes.iter().map(|v| (v.clone(), json!({}))),
        );
        merge_object(
            &mut config,
            "ExposedPorts",
            service.exposed_ports.iter().map(|p| (p.clone(), json!({}))),
        );
        merge_object(
            &mut config,
            "Labels",
            service.labels.iter().map(|(k, v)| (k.clone(), json!(v))),
        );
    }
    config.insert("Env".into(), json!(env));
    config
}

/// Docker's `HealthConfig`: the exec form's `CMD` first, times in nanoseconds, and what is
/// unset left out for Docker's defaults.
fn healthcheck(check: &HealthcheckConfig) -> Value {
    let mut config = Map::new();
    let test: Vec<&str> = std::iter::once("CMD")
        .chain(check.command.iter().map(String::as_str))
        .collect();
    config.insert("Test".into(), json!(test));
    let times = [
        ("Interval", check.interval_ns),
        ("Timeout", check.timeout_ns),
        ("StartPeriod", check.start_period_ns),
    ];
    for (key, nanos) in times {
        if let Some(nanos) = nanos {
            config.insert(key.into(), json!(nanos));
        }
    }
    if let Some(retries) = check.retries {
        config.insert("Retries".into(), json!(retries));
    }
    Value::Object(config)
}

fn merge_object(
    config: &mut Map<String, Value>,
    key: &str,
    entries: impl Iterator<Item = (String, Value)>,
) {
    let mut object = match config.remove(key) {
        Some(Value::Object(existing)) => existing,
        _ => Map::new(),
    };
    object.extend(entries);
    if !object.is_empty() {
        config.insert(key.into(), Value::Object(object));
    }
}

/// Seconds since 1970 as an RFC 3339 UTC time.
fn rfc3339(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn service() -> ImageConfigPlan {
        ImageConfigPlan {
            entrypoint: vec!["/usr/local/bin/api".into()],
            cmd: Some(vec!["--listen".into(), ":8080".into()]),
            env: BTreeMap::from([
                ("PORT".into(), "8080".into()),
                ("SSL_CERT_FILE".into(), "/x".into()),
            ]),
            user: None,
            workdir: None,
            exposed_ports: vec!["8080/tcp".into()],
            labels: BTreeMap::from([("team".into(), "core".into())]),
            stop_signal: Some("SIGINT".into()),
            healthcheck: None,
            volumes: vec!["/var/lib/api".into()],
        }
    }

    fn config(base: Option<&str>, service: Option<&ImageConfigPlan>, epoch: Option<i64>) -> Value {
        let bytes = image_config(
            base.map(str::as_bytes),
            service,
            &Platform::linux("arm64"),
            "copy api",
            epoch,
        )
        .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    const DISTROLESS: &str = r#"{"architecture":"amd64","os":"linux","created":"2024-01-01T00:00:00Z",
        "config":{"User":"65532","Env":["PATH=/usr/local/bin:/usr/bin","SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"],
        "WorkingDir":"/home/nonroot","Cmd":["/bin/sh"],"Labels":{"base":"distroless"}},
        "rootfs":{"type":"layers","diff_ids":["sha256:aa"]},"history":[{"created_by":"base"}]}"#;

    #[test]
    fn the_service_goes_on_top_of_the_base_config() {
        let image = config(Some(DISTROLESS), Some(&service()), None);
        let c = &image["config"];
        assert_eq!(image["architecture"], "arm64");
        assert_eq!(image["os"], "linux");
        assert!(image.get("created").is_none(), "no clock time");
        assert_eq!(c["Entrypoint"], json!(["/usr/local/bin/api"]));
        assert_eq!(c["Cmd"], json!(["--listen", ":8080"]));
        assert_eq!(c["User"], "65532");
        assert_eq!(c["WorkingDir"], "/home/nonroot");
        assert_eq!(
            c["Env"],
            json!([
                "PATH=/usr/local/bin:/usr/bin",
                "SSL_CERT_FILE=/x",
                "PORT=8080"
            ])
        );
        assert_eq!(c["ExposedPorts"], json!({"8080/tcp": {}}));
        assert_eq!(c["Volumes"], json!({"/var/lib/api": {}}));
        assert_eq!(c["Labels"], json!({"base": "distroless", "team": "core"}));
        assert_eq!(c["StopSignal"], "SIGINT");
        assert_eq!(image["rootfs"]["diff_ids"], json!(["sha256:aa"]));
        assert_eq!(
            image["history"],
            json!([{"created_by": "base"}, {"created_by": "copy api", "comment": "gofrontend"}])
        );
    }

    #[test]
    fn the_health_check_is_the_services_own_in_docker_form() {
        let with_base_check = DISTROLESS.replace(
            r#""Cmd":["/bin/sh"]"#,
            r#""Cmd":["/bin/sh"],"Healthcheck":{"Test":["CMD-SHELL","true"]}"#,
        );
        let image = config(Some(&with_base_check), Some(&service()), None);
        assert!(image["config"].get("Healthcheck").is_none(), "{image}");

        let checked = ImageConfigPlan {
            healthcheck: Some(HealthcheckConfig {
                command: vec!["/usr/local/bin/api".into(), "-health".into()],
                interval_ns: Some(5_000_000_000),
                timeout_ns: None,
                start_period_ns: Some(1_000_000),
                retries: Some(2),
            }),
            ..service()
        };
        let image = config(Some(&with_base_check), Some(&checked), None);
        assert_eq!(
            image["config"]["Healthcheck"],
            json!({"Test": ["CMD", "/usr/local/bin/api", "-health"], "Interval": 5_000_000_000_i64,
                   "StartPeriod": 1_000_000, "Retries": 2})
        );
    }

    #[test]
    fn scratch_gets_a_path_and_a_nonroot_user() {
        let image = config(None, Some(&service()), Some(1_700_000_000));
        assert_eq!(image["config"]["User"], DEFAULT_USER);
        assert_eq!(image["config"]["Env"][0], DEFAULT_PATH);
        assert_eq!(image["created"], "2023-11-14T22:13:20Z");
        assert_eq!(image["history"][0]["created"], "2023-11-14T22:13:20Z");
        assert_eq!(image["rootfs"], json!({"type": "layers", "diff_ids": []}));
    }

    #[test]
    fn several_binaries_get_no_entrypoint() {
        let image = config(Some(DISTROLESS), None, None);
        assert!(
            image["config"].get("Entrypoint").is_none() && image["config"].get("Cmd").is_none()
        );
    }

    #[test]
    fn epoch_times_are_utc_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }
}
