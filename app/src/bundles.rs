//! Which browser bundle hydrates which page. Visitor pages load none (the server renders them
//! whole), and neither does a site's dashboard: every control on it is a link or a plain form,
//! so it is complete as HTML, and its charts, tooltips and busy state need only the members'
//! page script (`members.js`); a PM on a slow phone downloads no wasm to read it. The other
//! members' pages are split in two, so that a PM opening a dashboard on a phone does not
//! download the administration: the members' bundle (`farewell`: home, sign-in, overview) and
//! the administration bundle (`farewell-admin`: administration, account, consent records).
//! `scripts/build.sh` builds both; a single bundle built without either feature (as
//! `cargo leptos` builds it) hydrates every member's page, and the server then serves it alone.
//!
//! A bundle carries a stand-in for each page it does not hydrate. The stand-in is reached only
//! by a link followed inside the bundle; it loads the address again, and the server answers with
//! the page and its own bundle.

#[cfg(any(feature = "ssr", not(feature = "admin-bundle")))]
pub use crate::dashboard::{DashboardPage, LoginPage};
#[cfg(any(feature = "ssr", not(feature = "admin-bundle")))]
pub use crate::Home;

#[cfg(any(feature = "ssr", not(feature = "members-bundle")))]
pub use crate::admin::{AccountPage, AdminPage};
#[cfg(any(feature = "ssr", not(feature = "members-bundle")))]
pub use crate::consent::ConsentPage;

#[cfg(feature = "ssr")]
pub use crate::admin::InvitePage;
#[cfg(feature = "ssr")]
pub use crate::admin::{OrganisationPage, SetupPage};
#[cfg(feature = "ssr")]
pub use crate::dashboard::site::SiteDashboardPage;
#[cfg(feature = "ssr")]
pub use crate::notice::NoticePage;
#[cfg(feature = "ssr")]
pub use crate::preferences::PreferencesPage;
#[cfg(feature = "ssr")]
pub use crate::share::SharePage;
#[cfg(feature = "ssr")]
pub use crate::survey::{SurveyPage, ThanksPage};

#[cfg(not(feature = "ssr"))]
pub use ServerRendered as InvitePage;
#[cfg(not(feature = "ssr"))]
pub use ServerRendered as OrganisationPage;
#[cfg(not(feature = "ssr"))]
pub use ServerRendered as SetupPage;
#[cfg(not(feature = "ssr"))]
pub use ServerRendered as SiteDashboardPage;
#[cfg(not(feature = "ssr"))]
pub use ServerRendered as NoticePage;
#[cfg(not(feature = "ssr"))]
pub use ServerRendered as PreferencesPage;
#[cfg(not(feature = "ssr"))]
pub use ServerRendered as SharePage;
#[cfg(not(feature = "ssr"))]
pub use ServerRendered as SurveyPage;
#[cfg(not(feature = "ssr"))]
pub use ServerRendered as ThanksPage;
#[cfg(all(not(feature = "ssr"), feature = "admin-bundle"))]
pub use ServerRendered as Home;
#[cfg(all(not(feature = "ssr"), feature = "admin-bundle"))]
pub use ServerRendered as LoginPage;
#[cfg(all(not(feature = "ssr"), feature = "admin-bundle"))]
pub use ServerRendered as DashboardPage;
#[cfg(all(not(feature = "ssr"), feature = "members-bundle"))]
pub use ServerRendered as AdminPage;
#[cfg(all(not(feature = "ssr"), feature = "members-bundle"))]
pub use ServerRendered as AccountPage;
#[cfg(all(not(feature = "ssr"), feature = "members-bundle"))]
pub use ServerRendered as ConsentPage;

/// Whether the page has been hydrated (set by `App`'s first effect): a stand-in created after
/// that was reached by a link, one created before is this bundle on the wrong page.
pub static HYDRATED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[cfg(not(feature = "ssr"))]
#[leptos::component]
pub fn ServerRendered() -> impl leptos::IntoView {
    use leptos::prelude::*;
    // Never on the first render: a wrong bundle must not reload for ever.
    if HYDRATED.load(std::sync::atomic::Ordering::Relaxed) {
        // The router's address of the page being opened (the browser's may still be the old).
        let location = leptos_router::hooks::use_location();
        let search = location.search.get_untracked();
        let search = search.trim_start_matches('?');
        let target = match search {
            "" => location.pathname.get_untracked(),
            query => format!("{}?{query}", location.pathname.get_untracked()),
        };
        Effect::new(move |_| {
            let _ = window().location().assign(&target);
        });
    }
}

/// Members' pages the server renders whole, which load no bundle: a site's dashboard
/// (`/dashboard/{site_key}`; the overview is `/dashboard`), a webhook's rules
/// (`/admin/{org}/webhooks/{id}`), a survey's pages (`/admin/{org}/surveys/{id}/pages`),
/// the list of both (`/admin/setup`) and the follow-up inbox (`/admin/{org}/inbox`).
#[cfg(feature = "ssr")]
pub fn server_rendered_member_page() -> bool {
    leptos::prelude::use_context::<http::request::Parts>().is_some_and(|parts| {
        let path = parts.uri.path();
        path.starts_with("/dashboard/") || path.starts_with("/admin/")
    })
}

/// The administration pages: hydrated by the administration bundle.
#[cfg(feature = "ssr")]
pub const ADMIN_PATHS: [&str; 3] = ["/admin", "/account", "/consent/"];

/// The bundle this request's page loads: the administration bundle on its pages when the build
/// made one (`hash-admin.txt` beside the server, or its unhashed files in the site), otherwise
/// the members' (or the single) bundle.
#[cfg(feature = "ssr")]
pub fn for_this_page(options: leptos::config::LeptosOptions) -> leptos::config::LeptosOptions {
    use leptos::prelude::use_context;
    let admin_page = use_context::<http::request::Parts>().is_some_and(|parts| {
        let path = parts.uri.path();
        ADMIN_PATHS
            .iter()
            .any(|p| path == p.trim_end_matches('/') || path.starts_with(p))
    });
    if !admin_page || !admin_bundle_built(&options) {
        return options;
    }
    let mut admin = options;
    admin.output_name = format!("{}-admin", admin.output_name).into();
    admin.hash_file = "hash-admin.txt".into();
    admin
}

#[cfg(not(feature = "ssr"))]
pub fn for_this_page(options: leptos::config::LeptosOptions) -> leptos::config::LeptosOptions {
    options
}

#[cfg(feature = "ssr")]
fn admin_bundle_built(options: &leptos::config::LeptosOptions) -> bool {
    static BUILT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *BUILT.get_or_init(|| {
        let beside_server = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join("hash-admin.txt")))
            .is_some_and(|path| path.exists());
        let unhashed = std::path::Path::new(&*options.site_root)
            .join(&*options.site_pkg_dir)
            .join(format!("{}-admin.js", options.output_name));
        if options.hash_files {
            beside_server
        } else {
            unhashed.exists()
        }
    })
}
