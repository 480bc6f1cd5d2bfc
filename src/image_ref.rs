//! Docker image references in the fully qualified form BuildKit's `docker-image://` sources
//! use: `golang:1.24` -> `docker.io/library/golang:1.24`.

/// Normalizes a reference, or says what is wrong with it.
pub fn normalize(reference: &str) -> Result<String, String> {
    if reference.is_empty() {
        return Err("an image reference cannot be empty".to_string());
    }
    if let Some(bad) = reference
        .chars()
        .find(|c| c.is_whitespace() || c.is_control())
    {
        return Err(format!(
            "image reference `{}` contains {bad:?}",
            reference.escape_debug()
        ));
    }
    let (name_and_tag, digest) = match reference.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (reference, None),
    };
    let last_slash = name_and_tag.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match name_and_tag[last_slash..].rfind(':') {
        Some(colon) => (
            &name_and_tag[..last_slash + colon],
            Some(&name_and_tag[last_slash + colon + 1..]),
        ),
        None => (name_and_tag, None),
    };
    let (domain, path) = match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':']) || first == "localhost" || first.is_empty() =>
        {
            (first, rest.to_string())
        }
        _ => ("docker.io", name.to_string()),
    };
    if domain.is_empty() || path.is_empty() {
        return Err(format!(
            "image reference `{reference}` has no repository name"
        ));
    }
    if !path.split('/').all(is_path_component) {
        return Err(format!(
            "image reference `{reference}`: repository names use lowercase letters, digits, `.`, `_` and `-`"
        ));
    }
    let path = if domain == "docker.io" && !path.contains('/') {
        format!("library/{path}")
    } else {
        path
    };
    let mut normalized = format!("{domain}/{path}");
    match tag {
        Some(tag) if is_tag(tag) => normalized.push_str(&format!(":{tag}")),
        Some(tag) => {
            return Err(format!(
                "image reference `{reference}`: `{tag}` is not a valid tag"
            ));
        }
        None if digest.is_none() => normalized.push_str(":latest"),
        None => {}
    }
    if let Some(digest) = digest {
        let valid = digest
            .strip_prefix("sha256:")
            .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
        if !valid {
            return Err(format!(
                "image reference `{reference}`: `{digest}` is not a sha256 digest"
            ));
        }
        normalized.push_str(&format!("@{digest}"));
    }
    Ok(normalized)
}

fn is_path_component(component: &str) -> bool {
    !component.is_empty()
        && component
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        && component
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
}

fn is_tag(tag: &str) -> bool {
    (1..=128).contains(&tag.len())
        && tag
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_in_registry_library_and_tag() {
        assert_eq!(
            normalize("golang:1.24").unwrap(),
            "docker.io/library/golang:1.24"
        );
        assert_eq!(
            normalize("golang").unwrap(),
            "docker.io/library/golang:latest"
        );
        assert_eq!(normalize("me/app").unwrap(), "docker.io/me/app:latest");
        assert_eq!(
            normalize("gcr.io/distroless/static-debian12:nonroot").unwrap(),
            "gcr.io/distroless/static-debian12:nonroot"
        );
        assert_eq!(
            normalize("localhost:5000/golang:1.24").unwrap(),
            "localhost:5000/golang:1.24"
        );
        assert_eq!(normalize("localhost/x").unwrap(), "localhost/x:latest");
    }

    #[test]
    fn keeps_digests() {
        let digest = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            normalize(&format!("golang@{digest}")).unwrap(),
            format!("docker.io/library/golang@{digest}")
        );
        assert_eq!(
            normalize(&format!("golang:1.24@{digest}")).unwrap(),
            format!("docker.io/library/golang:1.24@{digest}")
        );
    }

    #[test]
    fn rejects_malformed_references() {
        assert!(normalize("").is_err());
        assert!(normalize("Golang:1.24").is_err());
        assert!(normalize("golang:1.24 ; rm").is_err());
        assert!(normalize("golang:").is_err());
        assert!(normalize("golang@sha256:abc").is_err());
        assert!(normalize("registry.io/").is_err());
    }
}
