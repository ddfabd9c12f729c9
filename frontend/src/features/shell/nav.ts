import type { LinkProps } from "@tanstack/react-router";
import {
  ActivityIcon,
  ArrowDownUpIcon,
  BellIcon,
  Building2Icon,
  CableIcon,
  CalendarClockIcon,
  FileCodeIcon,
  FileUpIcon,
  HistoryIcon,
  KeyRoundIcon,
  LayoutDashboardIcon,
  LibraryIcon,
  ListChecksIcon,
  NetworkIcon,
  ScrollTextIcon,
  UsersIcon,
  WorkflowIcon,
  type LucideIcon,
} from "lucide-react";
import type en from "@/i18n/locales/en.json";

/** A section of the app; its label is `nav.<id>`, its texts are `sections.<id>.*`. */
export type SectionId = keyof typeof en.sections;
export type NavId = SectionId | "status";

export type NavItem = {
  id: NavId;
  to: NonNullable<LinkProps["to"]>;
  /** Active only on this exact path (the dashboard at "/"). */
  exact?: boolean;
};

/** One icon per navigation entry, shared by the sidebar and the section pages. */
export const navIcons: Record<NavId, LucideIcon> = {
  dashboard: LayoutDashboardIcon,
  connections: CableIcon,
  files: FileUpIcon,
  pipelines: WorkflowIcon,
  transformations: FileCodeIcon,
  jobs: ListChecksIcon,
  dag: NetworkIcon,
  schedules: CalendarClockIcon,
  runs: HistoryIcon,
  catalog: LibraryIcon,
  organization: Building2Icon,
  members: UsersIcon,
  apiKeys: KeyRoundIcon,
  auditLog: ScrollTextIcon,
  notifications: BellIcon,
  exportImport: ArrowDownUpIcon,
  status: ActivityIcon,
};

export const mainNav: readonly NavItem[] = [
  { id: "dashboard", to: "/", exact: true },
  { id: "connections", to: "/connections" },
  { id: "files", to: "/files" },
  { id: "pipelines", to: "/pipelines" },
  { id: "transformations", to: "/transformations" },
  { id: "jobs", to: "/jobs" },
  { id: "dag", to: "/dag" },
  { id: "schedules", to: "/schedules" },
  { id: "runs", to: "/runs" },
  { id: "catalog", to: "/catalog" },
];

export const settingsNav: readonly NavItem[] = [
  { id: "organization", to: "/settings/organization" },
  { id: "members", to: "/settings/members" },
  { id: "apiKeys", to: "/settings/api-keys" },
  { id: "auditLog", to: "/settings/audit-log" },
  { id: "notifications", to: "/settings/notifications" },
  { id: "exportImport", to: "/settings/export-import" },
];

export const statusNav: NavItem = { id: "status", to: "/status" };
