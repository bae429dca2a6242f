import { ToastProvider } from '../_components/toast';
import { PipelinesList } from './_components/pipelines-list';

export default function PipelinesPage() {
  return (
    <ToastProvider>
      <PipelinesList />
    </ToastProvider>
  );
}
