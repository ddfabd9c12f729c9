import { useMutation } from "@tanstack/react-query";
import { useState } from "react";

/**
 * The state of a "delete after confirmation" action: which item the confirmation dialog is open
 * for, and the mutation that deletes it. `ask(item)` opens the dialog (clearing the error of an
 * earlier attempt); `dialog` holds the ConfirmDialog props that belong to the deletion; on success
 * the dialog closes and `onDeleted` runs (refetch, navigate). A page's delete button, its dialog
 * and its mutation therefore read the same everywhere:
 *
 *     const remove = useConfirmDelete({ remove: (file: File) => deleteFile(file.id), onDeleted: … });
 *     <Button onClick={() => remove.ask(file)}>…</Button>
 *     <ConfirmDialog {...remove.dialog} title={…} description={…} confirmLabel={…} />
 */
export function useConfirmDelete<T>({
  remove,
  onDeleted,
  closeOnSuccess = true,
}: {
  remove: (item: T) => Promise<unknown>;
  onDeleted?: (item: T) => Promise<unknown> | undefined;
  /** False when success leaves the page anyway (the dialog stays until then). */
  closeOnSuccess?: boolean;
}) {
  const [target, setTarget] = useState<T | null>(null);
  const mutation = useMutation({
    mutationFn: remove,
    onSuccess: async (_data, item) => {
      if (closeOnSuccess) setTarget(null);
      await onDeleted?.(item);
    },
  });
  return {
    /** The item the dialog is open for; null while it is closed. */
    target,
    mutation,
    ask: (item: T) => {
      mutation.reset();
      setTarget(item);
    },
    dialog: {
      open: target !== null,
      onOpenChange: (open: boolean) => {
        if (!open) setTarget(null);
      },
      pending: mutation.isPending,
      error: mutation.error,
      onConfirm: () => {
        if (target !== null) mutation.mutate(target);
      },
    },
  };
}
