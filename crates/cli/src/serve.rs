//! Serving the API: bind first, announce the real address, then serve until Ctrl-C or SIGTERM.
//!
//! Binding and serving are separate steps so that `demo` can print its welcome (which contains
//! the URL) after the port is known and before the server runs, through the same code path as
//! `serve`.
//!
//! The metrics (`GET /metrics`) are never served on the API's address: with the `metrics_listen`
//! setting, `serve` and `scheduler` bind a second listener that serves them alone
//! ([`MetricsListener`]), and print `metrics on <url>` before they announce themselves.

use std::time::Duration;

use anyhow::Context;
use poem::listener::{Acceptor, Listener, TcpAcceptor, TcpListener};
use pressroom_notify::{MailConfig, MailWorker};
use pressroom_scheduler::{Scheduler, SchedulerConfig};
use pressroom_storage::Store;
use pressroom_webhooks::{DeliveryWorker, WebhookConfig};
use tokio::sync::watch;

use crate::write_stdout;

/// A listening socket that does not serve yet.
pub(crate) struct BoundServer {
    acceptor: TcpAcceptor,
    url: String,
    /// The metrics listener; `None` serves no metrics.
    metrics: Option<MetricsListener>,
    /// The webhook delivery worker's settings; `None` delivers no webhooks from this process.
    webhooks: Option<WebhookConfig>,
    /// The mail worker's settings; `None` sends no e-mail from this process.
    mail: Option<MailConfig>,
    /// CORS and request timeout.
    http: pressroom_api::http::HttpConfig,
    /// How long requests in flight may take to finish after a shutdown signal.
    shutdown_grace: Duration,
}

/// How long requests in flight may take to finish after a shutdown signal, unless the
/// `shutdown_grace_secs` setting says otherwise.
pub(crate) const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A bound listener that will serve `GET /metrics` alone (the `metrics_listen` setting).
pub(crate) struct MetricsListener {
    acceptor: TcpAcceptor,
    url: String,
}

impl MetricsListener {
    /// Binds `listen` (`host:port`; port 0 picks a free port).
    pub(crate) async fn bind(listen: &str) -> anyhow::Result<Self> {
        let (acceptor, url) = bind_address(listen)
            .await
            .context("cannot serve the metrics (metrics_listen)")?;
        Ok(Self { acceptor, url })
    }

    /// Prints `metrics on <url>/metrics` to stdout and serves the metrics of this process until
    /// `stop` turns true, in a task of its own.
    fn spawn(
        self,
        store: Store,
        mut stop: watch::Receiver<bool>,
    ) -> anyhow::Result<tokio::task::JoinHandle<()>> {
        write_stdout(&format!("metrics on {}/metrics\n", self.url))?;
        tracing::info!(url = %self.url, "serving metrics");
        Ok(tokio::spawn(async move {
            let served = poem::Server::new_with_acceptor(self.acceptor)
                .run_with_graceful_shutdown(
                    pressroom_api::http::metrics_app(store),
                    async move {
                        let _ = stop.wait_for(|stop| *stop).await;
                    },
                    Some(Duration::from_secs(1)),
                )
                .await;
            if let Err(error) = served {
                tracing::error!(%error, "the metrics listener stopped with an error");
            }
        }))
    }
}

/// Binds `listen` and returns the acceptor with the base URL of the address it got.
async fn bind_address(listen: &str) -> anyhow::Result<(TcpAcceptor, String)> {
    let acceptor = TcpListener::bind(listen.to_owned())
        .into_acceptor()
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let address = acceptor
        .local_addr()
        .into_iter()
        .find_map(|local| local.as_socket_addr().copied())
        .with_context(|| format!("listening on {listen} gave no socket address"))?;
    Ok((acceptor, format!("http://{address}")))
}

/// Binds `listen` (`host:port`; port 0 picks a free port).
pub(crate) async fn bind(listen: &str) -> anyhow::Result<BoundServer> {
    let (acceptor, url) = bind_address(listen).await?;
    Ok(BoundServer {
        acceptor,
        url,
        metrics: None,
        webhooks: Some(WebhookConfig::default()),
        mail: None,
        // The newsroom with a key of this process, until `with_http` gives the configured one.
        http: pressroom_api::http::HttpConfig {
            newsroom: Some(pressroom_newsroom::NewsroomConfig::new(
                pressroom_newsroom::CsrfKey::random(),
            )),
            ..pressroom_api::http::HttpConfig::default()
        },
        shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
    })
}

impl BoundServer {
    /// The base URL of the bound address, e.g. `http://127.0.0.1:8080`.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Replaces the HTTP settings (CORS, request timeout).
    pub(crate) fn with_http(mut self, http: pressroom_api::http::HttpConfig) -> Self {
        self.http = http;
        self
    }

    /// Serves the metrics on `metrics` (`None`: serve no metrics).
    pub(crate) fn with_metrics(mut self, metrics: Option<MetricsListener>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Replaces how long requests in flight may take to finish after a shutdown signal.
    pub(crate) fn with_shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// Replaces the webhook delivery settings (`None`: deliver no webhooks from this process).
    pub(crate) fn with_webhooks(mut self, webhooks: Option<WebhookConfig>) -> Self {
        self.webhooks = webhooks;
        self
    }

    /// Replaces the mail settings (`None`: send no e-mail from this process).
    pub(crate) fn with_mail(mut self, mail: Option<MailConfig>) -> Self {
        self.mail = mail;
        self
    }

    /// Prints `listening on <url>` to stdout (the line scripts and tests wait for) and serves
    /// every HTTP route, with the embedded scheduler unless `scheduler` is `None` and webhook
    /// delivery unless [`BoundServer::with_webhooks`] turned it off, until Ctrl-C or SIGTERM;
    /// then lets requests in flight, the scheduler's batch and webhook attempts in flight finish.
    pub(crate) async fn serve(
        self,
        store: Store,
        scheduler: Option<SchedulerConfig>,
    ) -> anyhow::Result<()> {
        let webhooks = self
            .webhooks
            .map(|config| DeliveryWorker::new(store.clone(), config))
            .transpose()
            .context("cannot start webhook delivery")?;
        let mail = self
            .mail
            .map(|config| MailWorker::new(store.clone(), config))
            .transpose()
            .context("cannot start sending e-mail")?;
        let stop = shutdown_channel();
        let scheduler = scheduler
            .map(|config| tokio::spawn(Scheduler::new(store.clone(), config).run(stop.clone())));
        let webhooks = webhooks.map(|worker| tokio::spawn(worker.run(stop.clone())));
        let mail = mail.map(|worker| tokio::spawn(worker.run(stop.clone())));
        let metrics = self
            .metrics
            .map(|metrics| metrics.spawn(store.clone(), stop.clone()))
            .transpose()?;
        write_stdout(&format!("listening on {}\n", self.url))?;
        tracing::info!(
            url = %self.url,
            scheduler = scheduler.is_some(),
            webhooks = webhooks.is_some(),
            mail = mail.is_some(),
            "serving"
        );
        let closing = store.clone();
        let mut server_stop = stop.clone();
        poem::Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(
                pressroom_api::http::app_with(store, self.http),
                async move {
                    let _ = server_stop.wait_for(|stop| *stop).await;
                },
                Some(self.shutdown_grace),
            )
            .await
            .context("the HTTP server stopped with an error")?;
        if let Some(scheduler) = scheduler
            && let Err(error) = scheduler.await
        {
            tracing::error!(%error, "the scheduler task failed");
        }
        if let Some(webhooks) = webhooks
            && let Err(error) = webhooks.await
        {
            tracing::error!(%error, "the webhook delivery task failed");
        }
        if let Some(mail) = mail
            && let Err(error) = mail.await
        {
            tracing::error!(%error, "the mail task failed");
        }
        if let Some(metrics) = metrics
            && let Err(error) = metrics.await
        {
            tracing::error!(%error, "the metrics task failed");
        }
        close(closing).await;
        Ok(())
    }
}

/// Runs the scheduler alone until Ctrl-C or SIGTERM (`pressroom scheduler`), with its metrics
/// on `metrics` when given.
pub(crate) async fn run_scheduler(
    store: Store,
    config: SchedulerConfig,
    metrics: Option<MetricsListener>,
) -> anyhow::Result<()> {
    let stop = shutdown_channel();
    let closing = store.clone();
    let metrics = metrics
        .map(|metrics| metrics.spawn(store.clone(), stop.clone()))
        .transpose()?;
    let running = tokio::spawn(Scheduler::new(store, config).run(stop));
    write_stdout("scheduler running\n")?;
    running.await.context("the scheduler task failed")?;
    if let Some(metrics) = metrics
        && let Err(error) = metrics.await
    {
        tracing::error!(%error, "the metrics task failed");
    }
    close(closing).await;
    Ok(())
}

/// Closing the pool lets SQLite check-point its write-ahead log and lets PostgreSQL end the
/// sessions now, instead of when the process dies.
async fn close(store: Store) {
    if let Err(error) = store.close().await {
        tracing::warn!(%error, "closing the database connections failed");
    }
    tracing::info!("stopped");
}

/// A channel that turns true on the first shutdown signal. The signal handlers are installed
/// before this returns, so a signal sent right after the process announces itself is handled.
fn shutdown_channel() -> watch::Receiver<bool> {
    let (tell, stop) = watch::channel(false);
    let signals = ShutdownSignals::install();
    tokio::spawn(async move {
        signals.received().await;
        let _ = tell.send(true);
    });
    stop
}

/// Ctrl-C (SIGINT) and, on Unix, SIGTERM (what container runtimes and systemd send).
struct ShutdownSignals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl ShutdownSignals {
    fn install() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let install = |kind: SignalKind, name: &str| match signal(kind) {
                Ok(stream) => Some(stream),
                Err(error) => {
                    // Without the handler the process still ends on the signal, only not gracefully.
                    tracing::warn!(%error, "cannot listen for {name}");
                    None
                }
            };
            Self {
                interrupt: install(SignalKind::interrupt(), "SIGINT"),
                terminate: install(SignalKind::terminate(), "SIGTERM"),
            }
        }
        #[cfg(not(unix))]
        Self {}
    }

    async fn received(self) {
        #[cfg(unix)]
        {
            async fn next(stream: Option<tokio::signal::unix::Signal>) {
                match stream {
                    Some(mut stream) => {
                        stream.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            tokio::select! {
                () = next(self.interrupt) => {}
                () = next(self.terminate) => {}
            }
        }
        #[cfg(not(unix))]
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
        tracing::info!("shutdown signal received; finishing work in flight");
    }
}
