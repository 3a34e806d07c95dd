use diesel::connection::SimpleConnection;

use crate::helpers::TestDatabase;

fn table_exists(conn: &mut convene::db::DbConnection, table: &str) -> bool {
    conn.batch_execute(&format!("SELECT 1 FROM {table} WHERE 1 = 0"))
        .is_ok()
}

#[test]
fn every_migration_runs_up_down_and_up_again() {
    let db = TestDatabase::create();
    let mut conn = db.connect();
    let applied = convene::db::run_migrations(&mut conn).expect("up");
    assert!(!applied.is_empty());
    assert!(table_exists(&mut conn, "events"));

    let reverted = convene::db::revert_all_migrations(&mut conn).expect("down");
    assert_eq!(reverted.len(), applied.len());
    for table in [
        "events",
        "organizers",
        "organizer_sessions",
        "audit_log",
        "communities",
        "invitations",
        "registrations",
        "nominations",
        "scholarship_requests",
        "emails",
    ] {
        assert!(!table_exists(&mut conn, table), "{table} should be gone");
    }

    let again = convene::db::run_migrations(&mut conn).expect("up again");
    assert_eq!(again, applied);
    assert!(table_exists(&mut conn, "events"));
}
