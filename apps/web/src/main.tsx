import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { listenForOpenRequests } from './push/open-requests';
import './styles.css';

// Before anything renders: a notification's click may tell this window which chat to open early.
listenForOpenRequests();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
