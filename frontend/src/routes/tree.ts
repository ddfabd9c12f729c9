import { appRoute, authedRoute } from "./app";
import { inviteRoute, oauthCompleteRoute, signInRoute, signUpRoute } from "./auth";
import { catalogRoute } from "./catalog";
import {
  connectionQueryRoute,
  connectionRoute,
  connectionSchemaRoute,
  connectionsIndexRoute,
  connectionsRoute,
  editConnectionRoute,
  newConnectionRoute,
} from "./connections";
import { dagRoute } from "./dag";
import { dashboardAliasRoute, dashboardRoute } from "./dashboard";
import { filesRoute } from "./files";
import { jobRoute, jobsIndexRoute, jobsRoute, newJobRoute } from "./jobs";
import { editPipelineRoute, newPipelineRoute, pipelineRoute, pipelinesIndexRoute, pipelinesRoute } from "./pipelines";
import { rootRoute } from "./root";
import { runRoute, runsIndexRoute, runsRoute } from "./runs";
import { schedulesRoute } from "./schedules";
import {
  apiKeysRoute,
  auditLogRoute,
  exportImportRoute,
  membersRoute,
  notificationsRoute,
  organizationRoute,
  settingsIndexRoute,
  settingsRoute,
} from "./settings";
import { statusRoute } from "./status";
import {
  macrosRoute,
  newTransformationRoute,
  seedsRoute,
  sourcesRoute,
  transformationRoute,
  transformationsIndexRoute,
  transformationsRoute,
} from "./transformations";

export const routeTree = rootRoute.addChildren([
  appRoute.addChildren([
    authedRoute.addChildren([
      dashboardRoute,
      dashboardAliasRoute,
      connectionsRoute.addChildren([
        connectionsIndexRoute,
        newConnectionRoute,
        editConnectionRoute,
        connectionRoute.addChildren([connectionSchemaRoute, connectionQueryRoute]),
      ]),
      filesRoute,
      pipelinesRoute.addChildren([pipelinesIndexRoute, newPipelineRoute, editPipelineRoute, pipelineRoute]),
      transformationsRoute.addChildren([
        transformationsIndexRoute,
        newTransformationRoute,
        macrosRoute,
        seedsRoute,
        sourcesRoute,
        transformationRoute,
      ]),
      jobsRoute.addChildren([jobsIndexRoute, newJobRoute, jobRoute]),
      dagRoute,
      schedulesRoute,
      runsRoute.addChildren([runsIndexRoute, runRoute]),
      catalogRoute,
      settingsRoute.addChildren([
        settingsIndexRoute,
        organizationRoute,
        membersRoute,
        apiKeysRoute,
        auditLogRoute,
        notificationsRoute,
        exportImportRoute,
      ]),
    ]),
    statusRoute,
  ]),
  signInRoute,
  signUpRoute,
  inviteRoute,
  oauthCompleteRoute,
]);
