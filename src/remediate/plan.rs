//! `atlas-audit plan`: decisions or an offboarding turned into Atlas API calls.
