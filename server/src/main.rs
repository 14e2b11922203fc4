use clap::Parser;
use farewell::config::{Cli, Command};
use farewell::{provision, startup::Application, store, telemetry};

/// Ingest allocates and frees many small buffers per request on several threads; mimalloc
/// measured cheaper than glibc's malloc there (scripts/bench-ingest.sh).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init("info,sqlx=warn,tower_sessions=warn");
    let store = store::connect(&cli.database_url).await?;
    match cli.command.unwrap_or(Command::Serve(Box::new(cli.serve))) {
        Command::Serve(serve) => {
            let app = Application::build(&serve, store).await?;
            tracing::info!(port = app.port(), "Farewell is listening");
            app.run_until_stopped().await?;
        }
        Command::Migrate => tracing::info!("migrations applied"),
        Command::Backup(args) => {
            let bytes = farewell::backup::backup(&cli.database_url, &args.to).await?;
            println!("Backed up to {} ({bytes} bytes)", args.to.display());
        }
        Command::Demo(args) => {
            let bar = progress_bar(u64::from(args.responses), "answers");
            let progress = |stored| bar.set_position(stored);
            let created = provision::demo(
                &store,
                args.password,
                args.responses,
                &args.origins,
                &progress,
            )
            .await?;
            bar.finish_and_clear();
            if args.json {
                println!("{}", serde_json::to_string(&created)?);
            } else {
                println!("Demo organisation created.");
                println!("  Sign in:    {} / {}", created.email, created.password);
                println!("  Organisation id: {}", created.organisation_id);
                println!("  Survey:     /s/{}", created.site_key);
                println!("  API token:  {}", created.api_token);
            }
        }
        Command::ConfigureSurvey(args) => {
            provision::configure_survey(&store, &args.site_key, &args.settings).await?;
            println!("Survey settings updated.");
        }
        Command::ConfigureSite(args) => {
            let settings = provision::configure_site(
                &store,
                &args.site_key,
                &args.attributes,
                args.attribute_cap,
            )
            .await?;
            println!(
                "Site attributes: [{}], at most {} values each.",
                settings.stored_keys(),
                settings.value_cap
            );
        }
        Command::Invite(args) => {
            let link = provision::invite(&store, args.organisation_id, &args.role).await?;
            println!("{}{link}", args.base_url.trim_end_matches('/'));
        }
        Command::CreateAdmin(args) => {
            let password = args.password()?;
            let (org, _) =
                provision::create_admin(&store, &args.organisation, &args.email, &password).await?;
            println!(
                "Created organisation {} ({}) with owner {}",
                org.name, org.id, args.email
            );
        }
    }
    Ok(())
}

/// A bar with the rate and the time left, drawn on standard error only when that is a terminal
/// (indicatif's check): scripts and CI logs stay quiet.
fn progress_bar(total: u64, what: &'static str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    let style = indicatif::ProgressStyle::with_template(
        "{msg} {wide_bar} {human_pos}/{human_len} · {per_sec} · {eta} left",
    )
    .expect("a valid template");
    bar.set_style(style);
    bar.set_message(what);
    bar
}
