import {
  Background,
  Controls,
  Handle,
  MarkerType,
  MiniMap,
  Position,
  ReactFlow,
  type Connection,
  type Edge,
  type Node,
  type NodeProps,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useMemo, useSyncExternalStore } from "react";
import { useTranslation } from "react-i18next";
import { getTheme, subscribeTheme } from "@/features/theme/theme";
import { cn } from "@/lib/utils";
import type { Dag, DagEdge, DagNode } from "./api";
import { NodeTypeIcon } from "./common";
import { layoutDag, nodeHeight, nodeWidth } from "./layout";
import { lookClasses, type NodeLook } from "./looks";

type CardData = {
  node: DagNode;
  look: NodeLook;
  dimmed: boolean;
  selected: boolean;
  canEdit: boolean;
  label: string;
  statusLabel: string;
};
type CardNode = Node<CardData, "dagNode">;
type LinkData = { edge: DagEdge };

/** One node of the graph: its type icon, name and status, coloured by its look, with an input handle left and an output handle right. */
function NodeCard({ data }: NodeProps<CardNode>) {
  // A click on the button (or Enter on it) bubbles to the node, whose onNodeClick selects it.
  const { node, look, dimmed, selected, canEdit, label, statusLabel } = data;
  return (
    <div data-node-key={node.key} data-status={look} className={cn("relative flex", dimmed ? "opacity-40" : null)} style={{ width: nodeWidth, height: nodeHeight }}>
      <Handle
        type="target"
        position={Position.Left}
        isConnectable={canEdit}
        data-node-key={node.key}
        data-handle="target"
        className="!size-3 !border-2 !border-background !bg-muted-foreground"
      />
      <button
        type="button"
        aria-pressed={selected}
        aria-label={label}
        className={cn(
          "nodrag nopan flex w-full min-w-0 items-center gap-2 rounded-lg border-2 px-3 text-left text-sm text-foreground shadow-sm transition-colors outline-none focus-visible:ring-2 focus-visible:ring-ring",
          lookClasses[look],
          selected ? "ring-2 ring-primary" : null,
        )}
      >
        <NodeTypeIcon type={node.type} />
        <span className="flex min-w-0 flex-col">
          <span className="truncate font-medium" title={node.name}>
            {node.name}
          </span>
          <span className="truncate text-xs text-muted-foreground">{statusLabel}</span>
        </span>
      </button>
      {canEdit ? (
        <Handle
          type="source"
          position={Position.Right}
          data-source-key={node.key}
          data-handle="source"
          className="!size-4 !border-2 !border-background !bg-primary"
        />
      ) : null}
    </div>
  );
}

const nodeTypes = { dagNode: NodeCard };

/**
 * The DAG drawn with React Flow: an automatic layered left-to-right layout (dagre), pan and zoom,
 * a minimap; drag from a node's right handle to another node to declare a dependency; click (or
 * Enter on) a declared edge to remove it. Inferred edges are dashed and grey and cannot be selected.
 */
export function DagGraph({
  dag,
  lookOf,
  dimmed,
  selected,
  canEdit,
  onSelect,
  onConnect,
  onRemove,
}: {
  dag: Dag;
  lookOf: (node: DagNode) => NodeLook;
  dimmed: (node: DagNode) => boolean;
  selected: string | null;
  canEdit: boolean;
  onSelect: (key: string) => void;
  onConnect: (from: string, to: string) => void;
  onRemove: (edge: DagEdge) => void;
}) {
  const { t } = useTranslation();
  const theme = useSyncExternalStore(subscribeTheme, getTheme);
  const names = useMemo(() => new Map(dag.nodes.map((n) => [n.key, n.name])), [dag]);
  const layout = useMemo(
    () =>
      layoutDag(
        dag.nodes.map((n) => n.key),
        dag.edges,
        (key) => names.get(key) ?? key,
      ),
    [dag, names],
  );

  // The layout's identity: where every node is.
  const layoutSignature = useMemo(
    () => [...layout.positions.entries()].map(([key, p]) => `${key}@${String(Math.round(p.x))},${String(Math.round(p.y))}`).sort().join(";"),
    [layout],
  );

  const nodes: CardNode[] = dag.nodes.map((node) => {
    const look = lookOf(node);
    return {
      id: node.key,
      type: "dagNode",
      position: layout.positions.get(node.key) ?? { x: 0, y: 0 },
      width: nodeWidth,
      height: nodeHeight,
      // Known handle places let the edges be drawn before the browser has measured the nodes.
      handles: [
        { type: "target", position: Position.Left, x: 0, y: nodeHeight / 2, id: null },
        { type: "source", position: Position.Right, x: nodeWidth, y: nodeHeight / 2, id: null },
      ],
      draggable: false,
      focusable: false,
      selectable: false,
      data: {
        node,
        look,
        dimmed: dimmed(node),
        selected: selected === node.key,
        canEdit,
        label: t("dag.nodeLabel", { name: node.name, type: t(`runs.targetType.${node.type}`), status: t(`dag.looks.${look}`) }),
        statusLabel: t(`dag.looks.${look}`),
      },
    };
  });

  const edges: Edge<LinkData>[] = dag.edges.map((edge) => {
    const id = `${edge.upstream}>${edge.downstream}`;
    const from = names.get(edge.upstream) ?? edge.upstream;
    const to = names.get(edge.downstream) ?? edge.downstream;
    const declared = !edge.inferred && edge.id !== null;
    const removable = declared && canEdit;
    return {
      id,
      source: edge.upstream,
      target: edge.downstream,
      data: { edge },
      deletable: false,
      selectable: removable,
      focusable: removable,
      ariaRole: removable ? "button" : "img",
      ariaLabel: t(declared ? "dag.edgeDeclared" : "dag.edgeInferred", { from, to }),
      interactionWidth: 16,
      markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16, color: declared ? "var(--foreground)" : "var(--muted-foreground)" },
      style: declared
        ? { stroke: "var(--foreground)", strokeWidth: 2, opacity: 0.75 }
        : { stroke: "var(--muted-foreground)", strokeWidth: 1.5, strokeDasharray: "6 5", opacity: 0.6 },
      domAttributes: {
        "data-edge": id,
        "data-inferred": String(!declared),
        onKeyDown: (event) => {
          if (removable && (event.key === "Enter" || event.key === " " || event.key === "Delete" || event.key === "Backspace")) {
            event.preventDefault();
            onRemove(edge);
          }
        },
      } as Edge["domAttributes"],
    };
  });

  return (
    <div className="h-[70vh] min-h-80 w-full" role="group" aria-label={t("dag.graphLabel")}>
      <ReactFlow<CardNode, Edge<LinkData>>
        // A new layout (a node or an edge added or removed) mounts the view afresh, fitted to the
        // graph: React Flow fits only at mount, and a new rank would land outside the canvas.
        key={layoutSignature}
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        colorMode={theme}
        fitView
        fitViewOptions={{ maxZoom: 1, padding: 0.15 }}
        minZoom={0.2}
        nodesDraggable={false}
        nodesConnectable={canEdit}
        nodesFocusable={false}
        edgesFocusable={canEdit}
        elementsSelectable={canEdit}
        deleteKeyCode={null}
        proOptions={{ hideAttribution: true }}
        ariaLabelConfig={{
          "node.a11yDescription.default": t("dag.flow.nodeHelp"),
          "node.a11yDescription.keyboardDisabled": t("dag.flow.nodeHelp"),
          "node.a11yDescription.ariaLiveMessage": ({ direction, x, y }) => t("dag.flow.nodeMoved", { direction, x, y }),
          "edge.a11yDescription.default": t("dag.flow.edgeHelp"),
          "controls.ariaLabel": t("dag.flow.controls"),
          "controls.zoomIn.ariaLabel": t("dag.flow.zoomIn"),
          "controls.zoomOut.ariaLabel": t("dag.flow.zoomOut"),
          "controls.fitView.ariaLabel": t("dag.flow.fitView"),
          "controls.interactive.ariaLabel": t("dag.flow.interactive"),
          "minimap.ariaLabel": t("dag.minimap"),
          "handle.ariaLabel": t("dag.flow.handle"),
        }}
        isValidConnection={(connection) => connection.source !== connection.target}
        onConnect={(connection: Connection) => {
          if (connection.source !== connection.target) onConnect(connection.source, connection.target);
        }}
        onNodeClick={(_event, node) => {
          onSelect(node.id);
        }}
        onEdgeClick={(_event, edge) => {
          const declared = edge.data?.edge;
          if (declared && canEdit && !declared.inferred && declared.id !== null) onRemove(declared);
        }}
      >
        <Background gap={24} />
        <Controls showInteractive={false} />
        <MiniMap pannable zoomable />
      </ReactFlow>
    </div>
  );
}
