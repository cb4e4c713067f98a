//! `Display` for the AST: prints the canonical direct grammar, which parses back to the same AST.
