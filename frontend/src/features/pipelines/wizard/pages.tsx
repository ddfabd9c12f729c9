import { useQuery } from "@tanstack/react-query";
import { useNavigate, useParams } from "@tanstack/react-router";
import { useTranslation } from "react-i18next";
import { ErrorAlert } from "@/components/form";
import { Loading } from "@/components/loading";
import { NeedsRole } from "@/components/needs-role";
import { PageHeader } from "@/components/page-header";
import { useHasRole } from "@/features/auth/hooks";
import { connectionsQuery, connectionTypesQuery } from "@/features/connections/api";
import { pipelineQuery, type Pipeline } from "../api";
import { emptyForm, formFromPipeline, type FormState } from "./config";
import { PipelineWizard } from "./PipelineWizard";

/** /pipelines/new: the wizard over an empty form. */
export function NewPipelinePage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const canEdit = useHasRole("editor");
  return (
    <div className="flex flex-col gap-6">
      <PageHeader title={t("pipelines.newTitle")} description={t("pipelines.newDescription")} eyebrow={t("nav.pipelines")} />
      {canEdit ? (
        <WizardData
          initial={emptyForm()}
          onSaved={(saved) => {
            void navigate({ to: "/pipelines/$pipelineId", params: { pipelineId: saved.id } });
          }}
        />
      ) : (
        <NeedsRole role="editor" what={t("pipelines.editorOnly")} />
      )}
    </div>
  );
}

/** /pipelines/$pipelineId/edit: the wizard over a stored pipeline, every step open. */
export function EditPipelinePage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { pipelineId } = useParams({ strict: false });
  const canEdit = useHasRole("editor");
  const pipeline = useQuery(pipelineQuery(pipelineId ?? 0));
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title={pipeline.data ? t("pipelines.editTitle", { name: pipeline.data.name }) : t("pipelines.edit")}
        description={t("pipelines.editDescription")}
        eyebrow={t("nav.pipelines")}
      />
      {!canEdit ? (
        <NeedsRole role="editor" what={t("pipelines.editorOnly")} />
      ) : pipeline.isPending ? (
        <Loading />
      ) : pipeline.isError ? (
        <ErrorAlert error={pipeline.error} title={t("pipelines.loadOneFailed")} />
      ) : (
        <WizardData
          initial={formFromPipeline(pipeline.data)}
          pipeline={pipeline.data}
          onSaved={(saved) => {
            void navigate({ to: "/pipelines/$pipelineId", params: { pipelineId: saved.id } });
          }}
        />
      )}
    </div>
  );
}

/** Loads the connections and their types, which every step needs. */
function WizardData(props: { initial: FormState; pipeline?: Pipeline; onSaved: (saved: Pipeline) => void }) {
  const { t } = useTranslation();
  const connections = useQuery(connectionsQuery);
  const types = useQuery(connectionTypesQuery);
  if (connections.isPending || types.isPending) return <Loading />;
  if (connections.isError) return <ErrorAlert error={connections.error} title={t("connections.loadFailed")} />;
  if (types.isError) return <ErrorAlert error={types.error} title={t("connections.typesFailed")} />;
  const capabilities = new Map(types.data.map((type) => [type.name, type.capabilities]));
  const sources = connections.data.filter((c) => capabilities.get(c.type)?.source === true);
  const destinations = connections.data.filter((c) => capabilities.get(c.type)?.destination === true);
  return <PipelineWizard {...props} sources={sources} destinations={destinations} />;
}
