//! The migrations are compiled in (`db::SQLITE_MIGRATIONS`, `db::POSTGRES_MIGRATIONS`):
//! without this, a new migration folder alone does not rebuild the crate, and a binary
//! built before it runs without the migration.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
