//! The optional natural-language assistant: an OpenAI-compatible chat endpoint that turns a
//! request the built-in intent parser does not understand into a query in our grammar. Its
//! answer is parsed and validated like any typed query; nothing it says runs otherwise.

use std::time::Duration;

use serde_json::{Value, json};

/// Where the assistant lives (`WL_AGENT_URL`, `WL_AGENT_MODEL`, `WL_AGENT_API_KEY`).
#[derive(Clone)]
pub struct AgentConfig {
    pub url: String,
    pub model: String,
    pub api_key: Option<String>,
    pub timeout: Duration,
}

impl std::fmt::Debug for AgentConfig {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("AgentConfig")
            .field("url", &self.url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "****"))
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("the assistant at {url} could not be reached: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("the assistant answered something that is not a chat completion: {0}")]
    BadReply(String),
}

/// The chat-completions URL for a base URL (`…/v1` or a full `…/chat/completions`).
pub fn completions_url(base: &str) -> String {
    let base = base.trim_end_matches('/');
    if base.ends_with("/chat/completions") {
        base.to_string()
    } else {
        format!("{base}/chat/completions")
    }
}

fn system_prompt(columns: &[String], tags: &[String]) -> String {
    format!(
        "You translate requests about a table of training samples into ONE query in this grammar, and answer with the query only (no prose, no code fences).\n\
         Grammar: filters like `loss > 0.7 and label == 3`, `tag:hard`, `not discarded`, `origin == \"val\"`, `prediction != label`, `loss between 0.2 and 0.5`, `label in [1, 2]`, `sample_id contains \"12\"`; sorting with `sortby <column> asc|desc` alone or after a filter; `head:<n>` after sortby keeps the first n rows; `@reset` shows everything.\n\
         Columns: {}.\nTags: {}.",
        columns.join(", "),
        if tags.is_empty() {
            "none".to_string()
        } else {
            tags.join(", ")
        }
    )
}

/// Strips code fences and surrounding quotes a model may add around its query.
pub fn clean_answer(text: &str) -> String {
    let mut text = text.trim();
    if let Some(inner) = text.strip_prefix("```") {
        let inner = inner
            .split_once('\n')
            .map(|(_, rest)| rest)
            .unwrap_or(inner);
        text = inner.trim_end().trim_end_matches("```").trim();
    }
    text.trim_matches('`').trim().to_string()
}

impl AgentConfig {
    /// Asks the assistant for a query; returns its cleaned answer.
    pub fn translate(
        &self,
        request: &str,
        columns: &[String],
        tags: &[String],
    ) -> Result<String, AgentError> {
        let url = completions_url(&self.url);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(self.timeout))
            .http_status_as_error(true)
            .build()
            .into();
        let body = json!({
            "model": self.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": system_prompt(columns, tags)},
                {"role": "user", "content": request},
            ],
        });
        let mut call = agent.post(&url).header("content-type", "application/json");
        if let Some(key) = &self.api_key {
            call = call.header("authorization", &format!("Bearer {key}"));
        }
        let unreachable = |reason: String| AgentError::Unreachable {
            url: url.clone(),
            reason,
        };
        let mut response = call
            .send(body.to_string().as_bytes())
            .map_err(|error| unreachable(error.to_string()))?;
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|error| unreachable(error.to_string()))?;
        let value: Value =
            serde_json::from_str(&text).map_err(|error| AgentError::BadReply(error.to_string()))?;
        let content = value
            .pointer("/choices/0/message/content")
            .and_then(Value::as_str)
            .ok_or_else(|| AgentError::BadReply(text.chars().take(200).collect()))?;
        Ok(clean_answer(content))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            completions_url("http://h:1/v1"),
            "http://h:1/v1/chat/completions"
        );
        assert_eq!(
            completions_url("http://h:1/v1/"),
            "http://h:1/v1/chat/completions"
        );
        assert_eq!(
            completions_url("http://h/v1/chat/completions"),
            "http://h/v1/chat/completions"
        );
    }

    #[test]
    fn answers_are_cleaned() {
        assert_eq!(clean_answer("```\nloss > 1\n```"), "loss > 1");
        assert_eq!(
            clean_answer("```sql\nsortby loss desc\n```"),
            "sortby loss desc"
        );
        assert_eq!(clean_answer("  `tag:hard` "), "tag:hard");
    }

    #[test]
    fn the_key_is_never_printed() {
        let config = AgentConfig {
            url: "http://x".into(),
            model: "m".into(),
            api_key: Some("sk-secret".into()),
            timeout: Duration::from_secs(1),
        };
        assert!(!format!("{config:?}").contains("sk-secret"));
    }
}
