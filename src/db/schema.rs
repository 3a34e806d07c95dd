//! The one schema for both backends. Ids are UUIDs kept as text on both, so that one
//! Rust type serves SQLite and PostgreSQL; timestamps are UTC without a zone.

diesel::table! {
    organizers (id) {
        id -> Text,
        email -> Text,
        name -> Text,
        role -> Text,
        password_hash -> Text,
        disabled_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        review_notices -> Text,
    }
}

diesel::table! {
    organizer_sessions (id) {
        id -> Text,
        token_hash -> Text,
        organizer_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    password_resets (token_hash) {
        token_hash -> Text,
        organizer_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        token_hash -> Text,
        name -> Text,
        role -> Text,
        organizer_id -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Text,
        url -> Text,
        events -> Text,
        secret -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        failing_since -> Nullable<Timestamp>,
        disabled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_deliveries (seq) {
        seq -> BigInt,
        id -> Text,
        webhook_id -> Text,
        event_id -> Nullable<Text>,
        event_type -> Text,
        ordering_key -> Nullable<Text>,
        body -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_attempt_at -> Nullable<Timestamp>,
        last_response_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        delivered_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    events (id) {
        id -> Text,
        slug -> Text,
        name -> Text,
        venue -> Text,
        city -> Text,
        starts_on -> Date,
        ends_on -> Date,
        timezone -> Text,
        capacity -> Integer,
        scholarship_budget_cents -> BigInt,
        currency -> Text,
        status -> Text,
        registration_opens_at -> Nullable<Timestamp>,
        registration_closes_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        seats_taken -> Integer,
        invitation_ttl_days -> Integer,
        nominations_per_executive -> Integer,
        scholarship_awarded_cents -> BigInt,
        description -> Text,
        practical_info -> Text,
        contact_email -> Nullable<Text>,
        program -> Nullable<Text>,
        reminder_days_before -> Nullable<Integer>,
        calendar_sequence -> Integer,
        retention_days -> Integer,
        anonymized_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        occurred_at -> Timestamp,
        actor_id -> Nullable<Text>,
        actor -> Text,
        action -> Text,
        entity_type -> Text,
        entity_id -> Text,
        event_id -> Nullable<Text>,
        before_state -> Nullable<Text>,
        after_state -> Nullable<Text>,
    }
}

diesel::table! {
    communities (id) {
        id -> Text,
        name -> Text,
        state -> Text,
        country -> Text,
        match_key -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    invitations (id) {
        id -> Text,
        event_id -> Text,
        community_id -> Text,
        kind -> Text,
        email -> Text,
        full_name -> Text,
        title -> Text,
        organization -> Nullable<Text>,
        message -> Nullable<Text>,
        token_hash -> Text,
        status -> Text,
        expires_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        responded_at -> Nullable<Timestamp>,
        decline_reason -> Nullable<Text>,
        invited_by -> Nullable<Text>,
        nominated_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Kept by the database's triggers (migration `registration_counts`), never written here.
    registration_counts (event_id, status) {
        event_id -> Text,
        status -> Text,
        n -> BigInt,
    }
}

diesel::table! {
    registrations (id) {
        id -> Text,
        event_id -> Text,
        invitation_id -> Text,
        community_id -> Text,
        kind -> Text,
        full_name -> Text,
        email -> Text,
        title -> Text,
        organization -> Text,
        phone -> Nullable<Text>,
        dietary_requirements -> Nullable<Text>,
        accessibility_needs -> Nullable<Text>,
        status -> Text,
        manage_token_hash -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        confirmed_at -> Nullable<Timestamp>,
        cancelled_at -> Nullable<Timestamp>,
        checkin_code -> Text,
        reminded_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    registration_manage_tokens (token_hash) {
        token_hash -> Text,
        registration_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    check_ins (registration_id) {
        registration_id -> Text,
        event_id -> Text,
        checked_in_at -> Timestamp,
        checked_in_by -> Nullable<Text>,
    }
}

diesel::table! {
    nominations (id) {
        id -> Text,
        event_id -> Text,
        registration_id -> Text,
        community_id -> Text,
        full_name -> Text,
        email -> Text,
        title -> Text,
        organization -> Text,
        reason -> Text,
        status -> Text,
        decision_note -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        invitation_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    scholarship_requests (id) {
        id -> Text,
        event_id -> Text,
        registration_id -> Text,
        travelers -> Integer,
        estimated_cost_cents -> BigInt,
        requested_amount_cents -> BigInt,
        justification -> Text,
        status -> Text,
        awarded_amount_cents -> Nullable<BigInt>,
        decision_note -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        reply_by -> Nullable<Timestamp>,
        award_status -> Nullable<Text>,
        award_answered_at -> Nullable<Timestamp>,
        reminded_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    emails (id) {
        id -> Text,
        event_id -> Nullable<Text>,
        template -> Text,
        recipient -> Text,
        subject -> Text,
        body_text -> Nullable<Text>,
        body_html -> Nullable<Text>,
        attachments -> Nullable<Text>,
        message_id -> Text,
        entity_type -> Nullable<Text>,
        entity_id -> Nullable<Text>,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        reply_to -> Nullable<Text>,
    }
}

diesel::table! {
    event_sessions (id) {
        id -> Text,
        event_id -> Text,
        title -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        location -> Nullable<Text>,
        description -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    invitation_requests (id) {
        id -> Text,
        event_id -> Text,
        full_name -> Text,
        email -> Text,
        title -> Text,
        organization -> Text,
        community_name -> Text,
        community_state -> Text,
        community_country -> Text,
        reason -> Text,
        status -> Text,
        times_requested -> Integer,
        decision_note -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        invitation_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    event_surveys (event_id) {
        event_id -> Text,
        send_after_hours -> Integer,
        follow_up_after_days -> Integer,
        open -> Bool,
        attendance_recorded_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
        answers_version -> BigInt,
    }
}

diesel::table! {
    announcements (id) {
        id -> Text,
        event_id -> Text,
        subject -> Text,
        body -> Text,
        audience -> Text,
        recipients -> Integer,
        idempotency_key -> Nullable<Text>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    event_email_templates (event_id, kind) {
        event_id -> Text,
        kind -> Text,
        subject -> Text,
        body -> Text,
        updated_by -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    impact_people (id) {
        id -> Text,
        email -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    impact_attendances (event_id, person_id) {
        event_id -> Text,
        person_id -> Text,
        community_id -> Text,
        registration_id -> Nullable<Text>,
    }
}

diesel::table! {
    survey_responses (id) {
        id -> Text,
        event_id -> Text,
        person_id -> Text,
        wave -> Text,
        sent_at -> Timestamp,
        reminded_at -> Nullable<Timestamp>,
        answered_at -> Nullable<Timestamp>,
        would_recommend -> Nullable<Bool>,
        learned -> Nullable<Bool>,
        still_applying -> Nullable<Bool>,
        residents_engaged -> Nullable<BigInt>,
        highlight -> Nullable<Text>,
        testimonial -> Nullable<Text>,
        may_quote -> Bool,
    }
}

diesel::table! {
    survey_links (token_hash) {
        token_hash -> Text,
        response_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    rate_hits (id) {
        id -> BigInt,
        scope -> Text,
        key_hash -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    impact_publications (program) {
        program -> Text,
        published_at -> Timestamp,
        published_by -> Nullable<Text>,
    }
}

diesel::joinable!(invitations -> events (event_id));
diesel::joinable!(invitations -> communities (community_id));
diesel::joinable!(registrations -> events (event_id));
diesel::joinable!(registrations -> invitations (invitation_id));
diesel::joinable!(registrations -> communities (community_id));
diesel::joinable!(nominations -> registrations (registration_id));
diesel::joinable!(scholarship_requests -> registrations (registration_id));
diesel::joinable!(organizer_sessions -> organizers (organizer_id));
diesel::joinable!(password_resets -> organizers (organizer_id));
diesel::joinable!(api_tokens -> organizers (organizer_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(audit_log -> events (event_id));
diesel::joinable!(registration_manage_tokens -> registrations (registration_id));
diesel::joinable!(check_ins -> registrations (registration_id));
diesel::joinable!(check_ins -> organizers (checked_in_by));
diesel::joinable!(event_sessions -> events (event_id));
diesel::joinable!(event_surveys -> events (event_id));
diesel::joinable!(impact_attendances -> events (event_id));
diesel::joinable!(impact_attendances -> impact_people (person_id));
diesel::joinable!(impact_attendances -> communities (community_id));
diesel::joinable!(survey_responses -> events (event_id));
diesel::joinable!(survey_links -> survey_responses (response_id));
diesel::joinable!(announcements -> events (event_id));
diesel::joinable!(event_email_templates -> events (event_id));

diesel::allow_tables_to_appear_in_same_query!(
    organizers,
    organizer_sessions,
    password_resets,
    api_tokens,
    webhooks,
    webhook_deliveries,
    events,
    audit_log,
    communities,
    invitations,
    registrations,
    registration_counts,
    nominations,
    scholarship_requests,
    emails,
    invitation_requests,
    check_ins,
    event_sessions,
    registration_manage_tokens,
    event_surveys,
    impact_people,
    impact_attendances,
    survey_responses,
    survey_links,
    impact_publications,
    announcements,
    event_email_templates,
);
