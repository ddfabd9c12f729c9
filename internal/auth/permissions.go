package auth

// OperationPermissions maps every operationId of openapi.yaml to the permission it needs. It is
// the one place that decides who may call what; the server refuses an operation missing from
// it, and a test fails when openapi.yaml has an operation this table lacks.
var OperationPermissions = map[string]Permission{
	// Operations and meta.
	"getHealth":      Public,
	"getReadiness":   Public,
	"getMetrics":     Public,
	"getVersion":     Public,
	"getOpenAPISpec": Public,

	// Auth.
	"signup":        Public,
	"login":         Public,
	"refreshTokens": Public,
	"logout":        Public,

	"listAuthProviders": Public,
	"startOAuth":        Public,
	"oauthCallback":     Public,
	"linkOAuth":         Session,
	"switchOrg":         Session,
	"getMe":             Read,
	"updateMe":          Session,

	// Organization.
	"getOrg":           Read,
	"updateOrg":        Admin,
	"deleteOrg":        Owner,
	"listMembers":      Read,
	"addMember":        Admin,
	"updateMember":     Admin,
	"removeMember":     Admin,
	"listInvitations":  Admin,
	"revokeInvitation": Admin,
	"listApiKeys":      Admin,
	"createApiKey":     Admin,
	"revokeApiKey":     Admin,
	"listAuditLogs":    Admin,

	// Connections.
	"listConnectionTypes":   Read,
	"listConnections":       Read,
	"getConnection":         Read,
	"createConnection":      Write,
	"updateConnection":      Write,
	"deleteConnection":      Admin,
	"testUnsavedConnection": Write,
	"testConnection":        Read,
	"getConnectionCatalog":  Read,
	"queryConnection":       Write,
	// Browsing reads what the catalog reads (a source's objects, an API's first page): any member.
	"listConnectionObjects": Read,
	"previewRestResource":   Read,

	// Pipelines.
	"listPipelines":  Read,
	"getPipeline":    Read,
	"createPipeline": Write,
	"updatePipeline": Write,
	"deletePipeline": Write,

	// Transformations, macros, seeds, sources and jobs (SPEC §7). Compiling renders and stores
	// nothing: any member, as SPEC §3.1 lists it without a role.
	"listTransformations":      Read,
	"getTransformation":        Read,
	"createTransformation":     Write,
	"updateTransformation":     Write,
	"deleteTransformation":     Write,
	"compileTransformationSQL": Read,
	"compileTransformation":    Read,
	"previewTransformation":    Read,
	"importTransformations":    Write,
	"exportTransformations":    Read,
	"listMacros":               Read,
	"getMacro":                 Read,
	"createMacro":              Write,
	"updateMacro":              Write,
	"deleteMacro":              Write,
	"listSeeds":                Read,
	"getSeed":                  Read,
	"createSeed":               Write,
	"deleteSeed":               Write,
	"listSources":              Read,
	"getSource":                Read,
	"createSource":             Write,
	"updateSource":             Write,
	"deleteSource":             Write,
	"listJobs":                 Read,
	"getJob":                   Read,
	"createJob":                Write,
	"planJob":                  Read,
	"updateJob":                Write,
	"deleteJob":                Write,

	// Runs (acting): editors, and API keys with the run scope.
	"triggerPipelineRun":       Run,
	"triggerTransformationRun": Run,
	"triggerJobRun":            Run,
	"cancelRun":                Run,
	"retryRun":                 Run,

	// Runs (reading) and the dashboard: any member.
	"listRuns":       Read,
	"getRun":         Read,
	"getRunLogs":     Read,
	"getRunArtifact": Read,
	"streamRunLogs":  Read,
	"getDashboard":   Read,

	// The DAG and schedules: any member reads; editors (and API keys with the write scope)
	// change; cancelling a DAG run is acting on runs.
	"listDependencies": Read,
	"createDependency": Write,
	"deleteDependency": Write,
	"getDag":           Read,
	"getDagRun":        Read,
	"cancelDagRun":     Run,
	"listSchedules":    Read,
	"createSchedule":   Write,
	"previewSchedule":  Read,
	"getSchedule":      Read,
	"updateSchedule":   Write,
	"deleteSchedule":   Write,
	"getScheduleNext":  Read,

	// Notifications: any member reads (URLs masked below admin); admins change, test and redeliver.
	"listNotifications":          Read,
	"getNotification":            Read,
	"createNotification":         Admin,
	"updateNotification":         Admin,
	"deleteNotification":         Admin,
	"testNotification":           Admin,
	"listNotificationDeliveries": Read,
	"redeliverNotification":      Admin,

	// Files.
	"listFiles":  Read,
	"uploadFile": Write,
	"deleteFile": Admin,
}
