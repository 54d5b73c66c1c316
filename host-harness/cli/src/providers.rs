//! `providers`, `discover`: the providers the component knows.

use clap::Args;
use mail_oauth_store::Accounts;

use crate::failure::Failure;

#[derive(Args)]
pub(crate) struct DiscoverArgs {
    /// Issuer URL.
    #[arg(long)]
    issuer: String,
}

/// `providers`: the presets.
pub(crate) fn list(accounts: &Accounts, json: bool) -> Result<(), Failure> {
    let list = accounts.providers()?;
    if json {
        println!(
            "{}",
            serde_json::to_string(&list).expect("providers serialize")
        );
    } else {
        for p in list {
            println!("{:<10} {}", p.id, p.display_name);
            println!("           authorize: {}", p.authorization_endpoint);
            println!("           token:     {}", p.token_endpoint);
            if let Some(device) = &p.device_authorization_endpoint {
                println!("           device:    {device}");
            }
            println!("           scopes:    {}", p.default_scopes.join(" "));
        }
    }
    Ok(())
}

/// `discover`: the provider an issuer's discovery document describes.
pub(crate) fn discover(accounts: &Accounts, args: DiscoverArgs) -> Result<(), Failure> {
    let p = accounts.discover(&args.issuer)?;
    println!(
        "{}",
        serde_json::to_string_pretty(&p).expect("provider serializes")
    );
    Ok(())
}
