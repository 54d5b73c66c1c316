//! Prints the shipped component's path (`tests/build-component.sh` runs this).

fn main() {
    println!("{}", mail_oauth_artifacts::COMPONENT);
}
