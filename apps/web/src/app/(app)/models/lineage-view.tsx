"use client";
import "@xyflow/react/dist/style.css";
import { LineageDocument, type ModelKind } from "@graft/client";
import { Background, Controls, type Edge, Handle, type Node, type NodeProps, Position, ReactFlow } from "@xyflow/react";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useMemo } from "react";
import { Empty, ErrorBox, Loading, PageHeader } from "@/components/states.tsx";
import { LineageMark } from "@/components/status-badge.tsx";
import { useQuery } from "@/lib/client/use-query.ts";
import { formatPercent } from "@/lib/format.ts";
import { layoutForest } from "./tree-layout.ts";

interface LineageModel {
  id: string;
  name: string;
  kind: ModelKind;
  architecture: string;
  bestMetric: number | null;
  verifiedLineage: boolean | null;
  parentId: string | null;
}

type ModelNodeData = LineageModel & { focused: boolean; [key: string]: unknown };
type ModelNode = Node<ModelNodeData, "model">;

function ModelNodeView({ data }: NodeProps<ModelNode>) {
  return (
    <div
      className={`lineage-node${data.kind === "BASE" ? " lineage-node-base" : ""}${data.focused ? " lineage-node-focus" : ""}`}
      data-model-id={data.id}
      data-testid="lineage-node"
    >
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <strong title={data.name}>{data.name}</strong>
      <div className="meta">
        <span>{data.kind === "BASE" ? data.architecture : `val acc ${formatPercent(data.bestMetric)}`}</span>
        <LineageMark verified={data.verifiedLineage} />
      </div>
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
}

const NODE_TYPES = { model: ModelNodeView };

export function LineageView() {
  const router = useRouter();
  const focus = useSearchParams().get("focus");
  const { data, error, loading, refetch } = useQuery(LineageDocument, {});

  const models = useMemo<LineageModel[]>(() => {
    if (!data) return [];
    const all = new Map<string, LineageModel>();
    for (const { node } of data.models.edges) {
      all.set(node.id, { ...node, parentId: null });
      for (const d of node.descendants) all.set(d.id, { ...d, parentId: d.parent?.id ?? null });
    }
    return [...all.values()];
  }, [data]);

  const { nodes, edges } = useMemo(() => {
    const byId = new Map(models.map((m) => [m.id, m]));
    const nodes: ModelNode[] = layoutForest(models).map((p) => {
      const m = byId.get(p.id) as LineageModel;
      return {
        id: p.id,
        type: "model",
        position: { x: p.x, y: p.y },
        data: { ...m, focused: m.id === focus },
        ariaLabel: `${m.name}, ${m.kind === "BASE" ? "base model" : "fine-tuned"}`,
      };
    });
    const edges: Edge[] = models
      .filter((m) => m.parentId)
      .map((m) => ({
        id: `${m.parentId}-${m.id}`,
        source: m.parentId as string,
        target: m.id,
        animated: false,
        style: { stroke: m.verifiedLineage === false ? "#c62f2f" : "#94a3b8", strokeWidth: 1.5 },
      }));
    return { nodes, edges };
  }, [models, focus]);

  return (
    <>
      <PageHeader title="Models and lineage">
        <Link className="button" href="/new">
          New fine-tune
        </Link>
      </PageHeader>
      {error ? <ErrorBox error={error} retry={refetch} /> : null}
      {!data ? (
        loading ? (
          <Loading label="Loading lineage…" />
        ) : null
      ) : models.length === 0 ? (
        <Empty>No models yet. Register a base model or start the platform with its built-in models.</Empty>
      ) : (
        <>
          <div className="lineage-canvas" data-testid="lineage-graph">
            <ReactFlow
              nodes={nodes}
              edges={edges}
              nodeTypes={NODE_TYPES}
              nodesDraggable={false}
              nodesConnectable={false}
              edgesFocusable={false}
              onNodeClick={(_, node) => router.push(`/models/${node.id}`)}
              fitView
              fitViewOptions={{ padding: 0.2, maxZoom: 1.2 }}
              minZoom={0.1}
              proOptions={{ hideAttribution: true }}
            >
              <Background gap={20} color="#eef0f3" />
              <Controls showInteractive={false} />
            </ReactFlow>
          </div>
          <section className="panel" style={{ marginTop: 16 }} aria-labelledby="model-list">
            <h2 id="model-list">All models</h2>
            <table className="table">
              <thead>
                <tr>
                  <th>Model</th>
                  <th>Kind</th>
                  <th>Architecture</th>
                  <th>Parent</th>
                  <th className="num">Best val acc</th>
                  <th>Lineage</th>
                </tr>
              </thead>
              <tbody>
                {models.map((m) => (
                  <tr key={m.id}>
                    <td>
                      <Link href={`/models/${m.id}`}>{m.name}</Link>
                    </td>
                    <td>{m.kind === "BASE" ? "base" : "fine-tuned"}</td>
                    <td>{m.architecture}</td>
                    <td>{m.parentId ? (models.find((p) => p.id === m.parentId)?.name ?? m.parentId) : "—"}</td>
                    <td className="num">{formatPercent(m.bestMetric)}</td>
                    <td>
                      <LineageMark verified={m.verifiedLineage} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </>
      )}
    </>
  );
}
