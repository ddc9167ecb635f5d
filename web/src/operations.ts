import { graphql } from "./gql";

// Every operation the client sends, typed by GraphQL Code Generator from ../schema.graphql.

export const MeQuery = graphql(`
  query Me {
    me { id email name phone }
  }
`);

export const SignUpMutation = graphql(`
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) { token user { id email name } errors { code field message } }
  }
`);

export const SignInMutation = graphql(`
  mutation SignIn($email: String!, $password: String!) {
    signIn(email: $email, password: $password) { token user { id email name } errors { code field message } }
  }
`);

export const SignOutMutation = graphql(`
  mutation SignOut { signOut }
`);

export const CompaniesQuery = graphql(`
  query Companies {
    companies {
      relationship
      since
      via { id name }
      company { id cui name address registrationNumber providesAccountingServices membersMayInvite verification efactura { companyId status } }
    }
  }
`);

export const CompanyClaimantsQuery = graphql(`
  query CompanyClaimants($companyId: ID!) {
    company(id: $companyId) { id claimants { user { id name email } since } }
  }
`);

export const RemoveClaimantMutation = graphql(`
  mutation RemoveCompanyClaimant($companyId: ID!, $userId: ID!) {
    removeCompanyClaimant(companyId: $companyId, userId: $userId) { company { id claimants { user { id name email } since } } errors { code field message } }
  }
`);

export const SetMembersMayInviteMutation = graphql(`
  mutation SetMembersMayInvite($companyId: ID!, $enabled: Boolean!) {
    setMembersMayInvite(companyId: $companyId, enabled: $enabled) { company { id membersMayInvite } errors { code field message } }
  }
`);

export const CreateCompanyMutation = graphql(`
  mutation CreateCompany($input: CreateCompanyInput!) {
    createCompany(input: $input) { company { id cui name providesAccountingServices } errors { code field message } }
  }
`);

export const SetAccountingMutation = graphql(`
  mutation SetAccounting($companyId: ID!, $enabled: Boolean!) {
    setProvidesAccountingServices(companyId: $companyId, enabled: $enabled) {
      company { id providesAccountingServices }
      errors { code field message }
    }
  }
`);

export const ChecklistQuery = graphql(`
  query Checklist($companyId: ID!) {
    setupChecklist(companyId: $companyId) { providesAccountingServices efacturaActive ready problems { code field message } }
  }
`);

export const EfacturaQuery = graphql(`
  query Efactura($companyId: ID!) {
    efacturaIntegration(companyId: $companyId) {
      companyId status authorizedAt authorizedBy { id name } accessExpiresAt refreshExpiresAt certificateSerial lastError lastRefreshedAt
    }
  }
`);

export const StartEfacturaMutation = graphql(`
  mutation StartEfactura($companyId: ID!) {
    startEfacturaAuthorization(companyId: $companyId) { authorizationUrl expiresAt errors { code field message } }
  }
`);

export const DisconnectEfacturaMutation = graphql(`
  mutation DisconnectEfactura($companyId: ID!) {
    disconnectEfactura(companyId: $companyId) { integration { companyId status } errors { code field message } }
  }
`);

export const PortfolioQuery = graphql(`
  query Portfolio($companyId: ID!, $status: PortfolioStatus, $search: String, $first: Int, $after: String) {
    portfolio(companyId: $companyId, status: $status, search: $search, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node {
          id cui name address registryStatus status sources isNew rightsLostAt
          invitation { id status email representativeName phone }
          suggestedContact { representativeName email phone }
        }
      }
    }
  }
`);

export const PortfolioSummaryQuery = graphql(`
  query PortfolioSummary($companyId: ID!) {
    portfolioSummary(companyId: $companyId) { total discovered invited accountCreated collaborating declined expired revoked rightsLost new }
    latestDiscoveryRun(companyId: $companyId) { id status total checked found newCount startedAt finishedAt error }
  }
`);

export const StartDiscoveryMutation = graphql(`
  mutation StartDiscovery($companyId: ID!) {
    startPortfolioDiscovery(companyId: $companyId) { run { id status total checked found newCount } errors { code field message } }
  }
`);

export const AddCompaniesMutation = graphql(`
  mutation AddPortfolioCompanies($companyId: ID!, $cuis: [String!]!) {
    addPortfolioCompanies(companyId: $companyId, cuis: $cuis) { entries { id cui name } errors { code field message } }
  }
`);

export const ImportMutation = graphql(`
  mutation ImportPortfolioCandidates($companyId: ID!, $file: Upload!) {
    importPortfolioCandidates(companyId: $companyId, file: $file) {
      rowsRead imported verifying
      columns { field header }
      entries { id cui }
      run { id status total checked found }
      errors { code field message }
    }
  }
`);

export const DiscoverySubscription = graphql(`
  subscription DiscoveryProgress($companyId: ID!) {
    discoveryProgress(companyId: $companyId) { id status total checked found newCount startedAt finishedAt error }
  }
`);

export const SendInvitationsMutation = graphql(`
  mutation SendInvitations($companyId: ID!, $invitations: [InvitationInput!]!, $idempotencyKey: String) {
    sendInvitations(companyId: $companyId, invitations: $invitations, idempotencyKey: $idempotencyKey) {
      invitations { id cui status }
      errors { code field message }
    }
  }
`);

export const InvitationFields = graphql(`
  fragment InvitationRow on Invitation {
    id cui companyName representativeName email phone status sentAt expiresAt acceptedAt answeredAt
  }
`);

export const InvitationsQuery = graphql(`
  query Invitations($companyId: ID!, $status: InvitationStatus, $first: Int, $after: String) {
    invitations(companyId: $companyId, status: $status, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { ...InvitationRow } }
    }
  }
`);

export const InvitationUpdatedSubscription = graphql(`
  subscription InvitationUpdated($companyId: ID!) {
    invitationUpdated(companyId: $companyId) { ...InvitationRow }
  }
`);

export const ResendInvitationMutation = graphql(`
  mutation ResendInvitation($id: ID!) {
    resendInvitation(id: $id) { invitation { ...InvitationRow } errors { code field message } }
  }
`);

export const RevokeInvitationMutation = graphql(`
  mutation RevokeInvitation($id: ID!) {
    revokeInvitation(id: $id) { invitation { ...InvitationRow } errors { code field message } }
  }
`);

export const InvitationPreviewQuery = graphql(`
  query InvitationPreview($token: String!) {
    invitationPreview(token: $token) { accountingFirmName companyName cui representativeName email status expiresAt accountExists }
  }
`);

export const AcceptSignUpMutation = graphql(`
  mutation AcceptInvitationSignUp($input: AcceptInvitationSignUpInput!) {
    acceptInvitationSignUp(input: $input) { token user { id email name } errors { code field message } }
  }
`);

export const ClaimInvitationMutation = graphql(`
  mutation ClaimInvitation($token: String!) {
    claimInvitation(token: $token) { invitation { id status } errors { code field message } }
  }
`);

export const DeclineInvitationMutation = graphql(`
  mutation DeclineInvitation($token: String!) {
    declineInvitation(token: $token) { invitation { id status } errors { code field message } }
  }
`);

export const ClaimByIdMutation = graphql(`
  mutation ClaimInvitationById($id: ID!) {
    claimInvitationById(id: $id) { invitation { id status } errors { code field message } }
  }
`);

export const RespondMutation = graphql(`
  mutation RespondToCollaboration($invitationId: ID!, $accept: Boolean!) {
    respondToCollaboration(invitationId: $invitationId, accept: $accept) { invitation { id status } errors { code field message } }
  }
`);

export const NotificationFields = graphql(`
  fragment NotificationItem on Notification {
    id kind title body createdAt readAt
    company { id name }
    invitation { id status companyName accountingFirm { id name } }
  }
`);

export const NotificationsQuery = graphql(`
  query Notifications($first: Int) {
    notifications(first: $first) { totalCount edges { node { ...NotificationItem } } }
  }
`);

export const UnreadCountSubscription = graphql(`
  subscription UnreadCount { unreadNotificationCountChanged }
`);

export const NotificationAddedSubscription = graphql(`
  subscription NotificationAdded($after: ID) {
    notificationAdded(after: $after) { ...NotificationItem }
  }
`);

export const MarkAllReadMutation = graphql(`
  mutation MarkAllRead { markAllNotificationsRead }
`);
