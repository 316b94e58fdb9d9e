//! One-shot messages shown on the next page after a redirect ("Account created."). They travel
//! in a signed cookie, so they need no session and cannot be forged.
use axum::response::{IntoResponseParts, ResponseParts};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};

use crate::{crypto::Signer, i18n::Msg};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Success,
    Info,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    pub level: Level,
    pub msg: Msg,
}

impl Flash {
    pub fn success(msg: Msg) -> Self {
        Self { level: Level::Success, msg }
    }

    pub fn info(msg: Msg) -> Self {
        Self { level: Level::Info, msg }
    }

    pub fn error(msg: Msg) -> Self {
        Self { level: Level::Error, msg }
    }

    pub fn level_class(&self) -> &'static str {
        match self.level {
            Level::Success => "success",
            Level::Info => "info",
            Level::Error => "error",
        }
    }

    /// Cookie value: base64url(JSON) "." signature.
    pub fn encode(&self, signer: &Signer) -> String {
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default());
        let sig = signer.sign("flash", payload.as_bytes());
        format!("{payload}.{sig}")
    }

    pub fn decode(value: &str, signer: &Signer) -> Option<Flash> {
        let (payload, sig) = value.split_once('.')?;
        if !signer.verify("flash", payload.as_bytes(), sig) {
            return None;
        }
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
    }
}

/// Returned from a handler beside a redirect: the context layer turns it into the cookie.
impl IntoResponseParts for Flash {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        res.extensions_mut().insert(self);
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let signer = Signer::new(b"0123456789abcdef0123456789abcdef");
        let f = Flash::success(Msg::new("flash.saved").arg("name", "王伟"));
        let v = f.encode(&signer);
        assert_eq!(Flash::decode(&v, &signer), Some(f));
        let forged = Flash::error(Msg::new("x")).encode(&Signer::new(b"other"));
        assert_eq!(Flash::decode(&forged, &signer), None);
        assert_eq!(Flash::decode("garbage", &signer), None);
    }
}
