"use client";

import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import { currentUser, logout } from "@/lib/api/client";
import type { User } from "@/lib/api/types";

interface UserState {
  user: User | null;
  /** True until the first GET /api/auth/me answers. */
  loading: boolean;
  setUser: (user: User | null) => void;
  refresh: () => Promise<void>;
  signOut: () => Promise<void>;
}

const UserContext = createContext<UserState | null>(null);

export function UserProvider({ children }: { children: React.ReactNode }) {
  const [user, setUser] = useState<User | null>(null);
  const [loading, setLoading] = useState(true);

  const refresh = useCallback(
    () =>
      currentUser()
        .catch(() => null)
        .then((u) => {
          setUser(u);
          setLoading(false);
        }),
    [],
  );

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const signOut = useCallback(async () => {
    try {
      await logout();
    } catch {
      /* an expired session is signed out already; the cookie is the server's to clear */
    }
    setUser(null);
  }, []);

  const value = useMemo(
    () => ({ user, loading, setUser, refresh, signOut }),
    [user, loading, refresh, signOut],
  );
  return <UserContext.Provider value={value}>{children}</UserContext.Provider>;
}

export function useUser(): UserState {
  const state = useContext(UserContext);
  if (!state) throw new Error("useUser must be used inside <UserProvider>");
  return state;
}
