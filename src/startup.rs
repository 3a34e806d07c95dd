//! Builds the running service from [`Settings`]: pool, migrations, state and server.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};
use anyhow::Context;

use crate::auth::{LoginThrottle, PasswordHasher};
use crate::config::Settings;
use crate::db::{self, DbPool};
use crate::email::transport::Transport;
use crate::email::worker::{self, EmailWorker};
use crate::http::{self, AppState};
use crate::jobs::Sweeper;

pub struct Application {
    port: u16,
    server: Server,
    pool: DbPool,
    email_worker: EmailWorker,
    webhook_worker: crate::webhooks::worker::WebhookWorker,
    sweeper: Sweeper,
}

impl Application {
    /// Applies migrations and binds the listener (port 0 picks a free port; see [`Self::port`]).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.server.bind)
            .with_context(|| format!("cannot listen on {}", settings.server.bind))?;
        Self::build_on(settings, listener).await
    }

    /// Like [`Self::build`] on a listener bound by the caller, who then knows the port
    /// before the service starts (tests put it into `CONVENE_BASE_URL`).
    pub async fn build_on(settings: Settings, listener: TcpListener) -> anyhow::Result<Self> {
        let pool = db::build_pool(&settings.database);
        let migrate_pool = pool.clone();
        let applied = web::block(move || -> anyhow::Result<Vec<String>> {
            let mut conn = migrate_pool
                .get()
                .context("cannot connect to the database")?;
            db::run_migrations(&mut conn)
        })
        .await
        .context("migration task failed")??;
        if !applied.is_empty() {
            tracing::info!(count = applied.len(), "applied database migrations");
        }

        let port = listener.local_addr()?.port();
        let hasher = PasswordHasher::default();
        let warm = hasher.clone();
        web::block(move || warm.warm_up())
            .await
            .context("warm-up failed")?;

        // Built once: the SMTP connections are pooled across sends.
        let transport = Transport::from_settings(&settings.email, worker::CONCURRENCY as u32)
            .context("cannot set up email delivery")?;
        let dkim = transport.signing().unwrap_or_else(|| "off".to_owned());
        match transport.tls_mode() {
            Some(tls) => tracing::info!(to = %transport.describe(), %tls, %dkim, "email delivery"),
            None => tracing::info!(to = %transport.describe(), %dkim, "email delivery"),
        }
        let outbox = crate::email::OutboxSignal::default();
        let metrics = Arc::new(crate::metrics::Metrics::default());
        // On PostgreSQL it connects (its flushing thread's connection), so off the async
        // threads, as the migrations above.
        let committer_factory = db::ConnectionFactory::new(
            settings.database.url.clone(),
            settings.database.sqlite_synchronous,
        );
        let group_commit =
            web::block(move || db::group_commit::GroupCommit::start(committer_factory))
                .await
                .context("group-commit start task failed")?
                .context("cannot start the group-commit thread")?;
        let invitee_pages = db::read_together::ReadTogether::start(
            &pool,
            db::ConnectionFactory::new(
                settings.database.url.clone(),
                settings.database.sqlite_synchronous,
            ),
        )
        .context("cannot start the invitee pages' reading thread")?;
        // SQLite has one writer: claims too go through the group committer there.
        let claims = crate::email::claims::Claims::for_postgres(db::ConnectionFactory::new(
            settings.database.url.clone(),
            settings.database.sqlite_synchronous,
        ));
        let email_worker = EmailWorker::start(
            group_commit.clone(),
            claims,
            transport,
            outbox.clone(),
            Arc::clone(&metrics),
            &settings.email,
        );
        let webhook_worker =
            crate::webhooks::worker::WebhookWorker::start(pool.clone(), settings.webhooks.clone());
        let sweeper = Sweeper::start(
            pool.clone(),
            outbox.clone(),
            settings.jobs.sweep_interval,
            crate::workflows::sweep::SweepSettings::of(&settings.server.base_url, &settings.jobs),
        );

        // On PostgreSQL the limits hold for all instances together.
        let limits_store = crate::rate_limit::Store::for_backend(&settings.database.url, &pool);
        let public_limits = crate::rate_limit::PublicLimits::new(&settings.limits, &limits_store);
        let login_throttle = LoginThrottle::new(
            crate::auth::throttle::Limits {
                per_address: settings.limits.failed_logins,
                ..Default::default()
            },
            &limits_store,
        );
        let client_timeout = settings.server.client_timeout;
        let state = web::Data::new(AppState {
            pool: pool.clone(),
            origin: settings.server.origin(),
            settings: Arc::new(settings),
            hasher,
            login_throttle,
            outbox,
            public_limits,
            metrics,
            group_commit,
            invitee_pages,
            impact_counts: Default::default(),
        });
        let workers = state.settings.server.workers;
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(middleware::from_fn(http::middleware::plain_query_text))
                .wrap(http::middleware::security_headers())
                .wrap(middleware::from_fn(http::middleware::request_log))
                .configure(http::configure)
        })
        .workers(workers)
        // Slow clients: the head must arrive within the timeout (else 408 and close), an
        // idle kept-alive connection is closed after a while, and a closing one too.
        .client_request_timeout(client_timeout)
        .client_disconnect_timeout(std::time::Duration::from_secs(2))
        .keep_alive(std::time::Duration::from_secs(30))
        .listen(listener)?
        .shutdown_timeout(30)
        .run();
        Ok(Self {
            port,
            server,
            pool,
            email_worker,
            webhook_worker,
            sweeper,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// A handle to stop the server gracefully (tests, embedding).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM or SIGINT, then finishes the requests in flight, the sweep
    /// under way and the emails being sent (mail not yet claimed stays queued for the
    /// next start).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        self.sweeper.shutdown().await;
        self.email_worker.shutdown().await;
        self.webhook_worker.shutdown().await;
        served
    }
}
