import { MembersPanel } from './members-panel';

export default function MembersPage() {
  return (
    <div className="page">
      <header className="page-head">
        <h1>Members</h1>
      </header>
      <MembersPanel />
    </div>
  );
}
