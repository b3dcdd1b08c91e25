mod access;
mod cli;
mod image_options;
mod language;
mod local;
mod malformed;
mod network;
mod packer;
mod shipped;
mod variables;

use std::path::{Path, PathBuf};

use amibake::recipe::{self, Diagnostics, Inputs, Recipe};

/// A recipe written into its own temporary directory (so relative paths
/// and auto var files are the test's own).
pub struct TempRecipe {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl TempRecipe {
    pub fn new(text: &str) -> TempRecipe {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("recipe.pkr.hcl");
        std::fs::write(&path, text).unwrap();
        TempRecipe { dir, path }
    }
    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, text).unwrap();
        p
    }
    pub fn load(&self, inputs: &Inputs) -> Result<Recipe, Diagnostics> {
        recipe::load(&self.path, inputs)
    }
}

/// The crate's root, where `recipes/` lives.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A valid source block to build malformed recipes around.
pub const GOOD_SOURCE: &str = r#"source "amazon-ebs" "web" {
  region        = "us-east-1"
  instance_type = "t3.micro"
  source_ami    = "ami-0123456789abcdef0"
  ami_name      = "web-image"
}
"#;
