//! Members and their organisations: sign-in, memberships, roles, passwords.

use super::StoreResult;
use crate::domain::{Email, MemberRecord, Role};
use async_trait::async_trait;
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Organisation {
    pub id: Uuid,
    pub name: String,
}

#[derive(Clone, Debug)]
pub struct UserCredentials {
    pub user_id: Uuid,
    pub email: Email,
    pub password_hash: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    pub org_id: Uuid,
    pub org_name: String,
    pub role: Role,
}

#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    async fn create_organisation(&self, name: &str) -> StoreResult<Organisation>;
    async fn create_user(&self, email: &Email, password_hash: &str) -> StoreResult<Uuid>;
    async fn add_member(&self, org: Uuid, user: Uuid, role: Role) -> StoreResult<()>;
    async fn credentials(&self, email: &Email) -> StoreResult<Option<UserCredentials>>;
    async fn memberships(&self, user: Uuid) -> StoreResult<Vec<Membership>>;
    async fn members(&self, org: Uuid) -> StoreResult<Vec<MemberRecord>>;
    async fn set_member_role(&self, org: Uuid, user: Uuid, role: Role) -> StoreResult<bool>;
    async fn remove_member(&self, org: Uuid, user: Uuid) -> StoreResult<bool>;
    async fn user_password_hash(&self, user: Uuid) -> StoreResult<Option<String>>;
    async fn set_password_hash(&self, user: Uuid, hash: &str) -> StoreResult<()>;
}
